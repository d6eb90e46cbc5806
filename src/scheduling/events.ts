import type { StageName } from '../config/schema.js';
import type { NocturneError } from '../core/errors.js';
import type { ExecuteResult } from '../stages/execute.js';

/** One (pipeline, stage, slot) as the scheduler hands it to a stage. */
export interface SlotRef {
  pipeline: string;
  stage: StageName;
  slot: Date;
  trigger: 'schedule' | 'catchup';
  /** 1 for the first try of a slot, then 2, 3... for retries of retryable failures. */
  attempt: number;
}

/**
 * What the scheduler does, as typed events: metrics and tests listen here instead of
 * reading logs or sleeping.
 */
export interface SchedulerEvents {
  /** A stage execution began (it may still find its slot taken). */
  started: [SlotRef];
  /** An execution returned: a recorded run, or `not-run` when the slot was taken elsewhere. */
  finished: [SlotRef & { result: ExecuteResult }];
  /** An execution threw before its run could be recorded (e.g. the database is down). */
  errored: [SlotRef & { error: NocturneError }];
  /** A slot recorded as `skipped` (overrun policy skip, or too many slots waiting). */
  skipped: [Omit<SlotRef, 'attempt'> & { reason: string }];
  /** Slots that came due together (clock jump, suspend) and were dropped by the catch-up policy. */
  missed: [{ pipeline: string; stage: StageName; slots: Date[] }];
  /** A retryable failure: the same slot runs again after `delayMs`. */
  retry: [SlotRef & { delayMs: number }];
}
