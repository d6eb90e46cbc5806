import os from 'node:os';
import type { StageName } from '../config/schema.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import type { RunState } from '../runs/runs.js';
import type { SlotRef } from './events.js';

/** The newest slot the scheduler recorded for one pipeline and stage, and how it ended. */
export interface LastSlot {
  slot: Date;
  state: RunState;
}

/**
 * What the scheduler needs from the run history beyond beginRun: where each stage left
 * off, and the rows it writes itself (skipped slots, retries). PostgreSQL in the daemon,
 * a map in unit tests.
 */
export interface SlotLedger {
  /** Newest scheduled or caught-up slot per `pipeline/stage` (manual runs are not slots). */
  lastSlots(): Promise<Map<string, LastSlot>>;
  /** The state of the run of (pipeline, stage, slot), or null if the slot has no run. */
  slotState(pipeline: string, stage: StageName, slot: Date): Promise<RunState | null>;
  /** Records a slot that will not run; false if the slot already had a row. */
  recordSkipped(skip: SkippedSlot): Promise<boolean>;
  /**
   * Marks a failed run as interrupted, so that beginRun takes the slot over as its next
   * attempt; false if the run is no longer in the failed state.
   */
  reopenForRetry(runId: number, note: string): Promise<boolean>;
}

/** A slot that will not run, and why; recorded with the host that decided it. */
export type SkippedSlot = Omit<SlotRef, 'attempt'> & { reason: string; host?: string };

export const slotKey = (pipeline: string, stage: string): string => `${pipeline}/${stage}`;

/**
 * The run that is the last slot of one stage (SQL expressions for the pipeline and stage):
 * the newest scheduled or caught-up run; manual runs are not slots. One definition for
 * lastSlots and for retention, which keeps this run whatever its age: catch-up starts from it.
 */
export const lastSlotRun = (pipeline: string, stage: string): string =>
  `SELECT id, slot, state FROM runs WHERE pipeline = ${pipeline} AND stage = ${stage} AND trigger <> 'manual' ORDER BY slot DESC LIMIT 1`;

export function createPgSlotLedger(db: Db): SlotLedger {
  const guarded = <T>(what: string, work: () => Promise<T>): Promise<T> => inDatabase(`run history: ${what}`, work);
  return {
    lastSlots: () =>
      guarded('reading the last slot of each stage', async () => {
        const rows = await db.any<{ pipeline: string; stage: string; slot: Date; state: RunState }>(
          `SELECT s.pipeline, s.stage, l.slot, l.state FROM (SELECT DISTINCT pipeline, stage FROM runs) s
             CROSS JOIN LATERAL (${lastSlotRun('s.pipeline', 's.stage')}) l`,
        );
        return new Map(rows.map((r) => [slotKey(r.pipeline, r.stage), { slot: r.slot, state: r.state }]));
      }),
    slotState: (pipeline, stage, slot) =>
      guarded(`looking up ${pipeline}/${stage} slot ${slot.toISOString()}`, async () => {
        const row = await db.oneOrNone<{ state: RunState }>('SELECT state FROM runs WHERE pipeline = $1 AND stage = $2 AND slot = $3', [
          pipeline,
          stage,
          slot,
        ]);
        return row?.state ?? null;
      }),
    recordSkipped: (skip) =>
      guarded(`recording skipped slot ${skip.slot.toISOString()} of ${skip.pipeline}/${skip.stage}`, async () => {
        const row = await db.oneOrNone<{ id: string }>(
          `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, finished_at,
                             error_code, error)
           VALUES ($1, $2, $3, $4, 'skipped', $5, $6, now(), now(), 'SKIPPED', $7)
           ON CONFLICT DO NOTHING RETURNING id`,
          [skip.pipeline, skip.stage, skip.slot, skip.trigger, skip.host ?? os.hostname(), process.pid, skip.reason],
        );
        return row !== null;
      }),
    reopenForRetry: (runId, note) =>
      guarded(`reopening run ${runId} for a retry`, async () => {
        const result = await db.result(
          `UPDATE runs SET state = 'interrupted', error_code = 'RETRYING', error = $2
            WHERE id = $1 AND state = 'failed'`,
          [runId, note],
        );
        return result.rowCount === 1;
      }),
  };
}
