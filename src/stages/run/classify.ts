import { constants } from 'node:os';
import type { ExitMarker } from '../../executors/job-files.js';
import type { TaskStatus } from '../../executors/types.js';

/** How a task that the scheduler reports as ended has ended, for nocturne. */
export type Verdict =
  | { kind: 'completed'; outputs: string[] }
  | { kind: 'failed'; retryable: boolean; reason: string; exitCode: number | null; signal: number | null }
  /** Ended as far as the scheduler knows, but its exit marker is not visible yet. */
  | { kind: 'wait' };

/** Exit status by which a detection code asks to be tried again later (sysexits EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75;

export interface ClassifyInput {
  status: TaskStatus;
  marker: ExitMarker | null;
  /** The scheduler said COMPLETED long enough ago that a missing marker is an error. */
  markerOverdue: boolean;
  retryTimeout: boolean;
  csvGlob: string;
}

const RETRYABLE_STATES: Record<string, string> = {
  NODE_FAIL: 'its node failed',
  BOOT_FAIL: 'its node failed to boot',
  PREEMPTED: 'was preempted',
};

const PERMANENT_STATES: Record<string, string> = {
  CANCELLED: 'was cancelled',
  OUT_OF_MEMORY: 'ran out of memory',
  DEADLINE: 'missed its deadline',
  REVOKED: 'was revoked',
  SPECIAL_EXIT: 'ended in SPECIAL_EXIT',
};

export function signalName(signal: number): string {
  const name = Object.entries(constants.signals).find(([, n]) => n === signal)?.[0];
  return name === undefined ? `signal ${signal}` : `signal ${signal} (${name})`;
}

function failed(retryable: boolean, reason: string, exitCode: number | null = null, signal: number | null = null): Verdict {
  return { kind: 'failed', retryable, reason, exitCode, signal };
}

/** What the exit status of the detection code says (`rc` as bash saw it: 128+n for signal n). */
function fromExitStatus(rc: number, signal: number | null, fromMarker: boolean): Verdict {
  if (signal !== null) return failed(false, `was killed by ${signalName(signal)}`, rc === 0 ? null : rc, signal);
  if (fromMarker && rc > 128 && rc < 160) return failed(false, `detection code was killed by ${signalName(rc - 128)}`, rc, rc - 128);
  if (rc === EXIT_TEMPFAIL) return failed(true, `detection code exited with status ${rc} (temporary failure: try again)`, rc);
  return failed(false, `detection code exited with status ${rc}`, rc);
}

/**
 * Success needs three things: the scheduler's COMPLETED, an exit marker saying 0, and at
 * least one published CSV. Any failure says whether trying again may help.
 */
export function classifyEnd(input: ClassifyInput): Verdict {
  const { status, marker } = input;
  switch (status.state) {
    case 'COMPLETED': {
      if (!marker) {
        return input.markerOverdue ? failed(false, 'ended COMPLETED but wrote no exit marker') : { kind: 'wait' };
      }
      if (marker.rc !== 0) return fromExitStatus(marker.rc, null, true);
      if (marker.csv.length === 0) return failed(false, `exited 0 but published no file matching ${input.csvGlob}`, 0);
      return { kind: 'completed', outputs: [...marker.quicklooks, ...marker.csv] };
    }
    case 'FAILED': {
      if (marker) {
        if (marker.rc === 0) return failed(false, 'detection code exited 0 but the job FAILED after it');
        return fromExitStatus(marker.rc, null, true);
      }
      if (status.signal !== null || status.exitCode !== null) return fromExitStatus(status.exitCode ?? 0, status.signal, false);
      return failed(false, 'FAILED');
    }
    case 'TIMEOUT':
      return failed(input.retryTimeout, 'reached its time limit (TIMEOUT)');
  }
  const retryable = RETRYABLE_STATES[status.state];
  if (retryable !== undefined) return failed(true, `${retryable} (${status.state})`);
  return failed(false, `${PERMANENT_STATES[status.state] ?? 'ended'} (${status.state})`, status.exitCode, status.signal);
}

export type NextStep = 'done' | 'retry' | 'give-up';

/** `retries` is the number of attempts after the first; `attempt` counts from 1. */
export function nextStep(verdict: Verdict, attempt: number, retries: number): NextStep {
  if (verdict.kind === 'completed') return 'done';
  if (verdict.kind === 'failed' && verdict.retryable && attempt <= retries) return 'retry';
  return 'give-up';
}
