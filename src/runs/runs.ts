import os from 'node:os';
import type { StageName } from '../config/schema.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import { goneByHeartbeat } from '../hosts/takeover.js';
import { pidNamespace, processAlive } from './holder.js';

export type RunTrigger = 'schedule' | 'catchup' | 'manual';
export type RunState = 'running' | 'succeeded' | 'failed' | 'skipped' | 'interrupted';

export interface RunRow {
  id: number;
  pipeline: string;
  stage: StageName;
  slot: Date;
  trigger: RunTrigger;
  state: RunState;
  attempt: number;
  host: string;
  pid: number;
  /** See sql/state/0006_run_holder.sql. */
  holder: string | null;
  started_at: Date;
  finished_at: Date | null;
  error_code: string | null;
  error: string | null;
  stats: Record<string, number>;
}

export interface BeginRun {
  pipeline: string;
  stage: StageName;
  slot: Date;
  trigger: RunTrigger;
  leaseMs: number;
  host?: string;
}

export type BeginResult =
  | { kind: 'started'; run: RunRow }
  /** This slot already has a run (done, or in progress elsewhere). */
  | { kind: 'slot-taken'; run: RunRow }
  /** Another run of this pipeline and stage is live. */
  | { kind: 'busy'; run: RunRow };

/** A row of runs as read: pg gives bigint as text; run ids stay far below 2^53. */
export type RawRunRow = Omit<RunRow, 'id'> & { id: string | number };

export function toRunRow(raw: RawRunRow): RunRow {
  return { ...raw, id: Number(raw.id) };
}

/** toRunRow for oneOrNone, which hands its callback null when no row came. */
export function toRunRowOrNull(raw: RawRunRow | null): RunRow | null {
  return raw === null ? null : toRunRow(raw);
}

/** Runs begun by this process and not finished: a holder with our own pid but not here is a predecessor. */
const heldHere = new Set<number>();

/** Whether the holder of `live` has ended for sure: it ran in our pid namespace and its pid is gone (or is ours, reused). */
export function holderGone(live: RunRow): boolean {
  const namespace = pidNamespace();
  if (namespace === null || live.holder !== namespace) return false;
  return live.pid === process.pid ? !heldHere.has(live.id) : !processAlive(live.pid);
}

/**
 * Claims (pipeline, stage, slot) in PostgreSQL. The unique keys on `runs` make this the
 * one place where a second daemon, a restart or a manual run are kept from doubling a
 * run. A run whose holder died is marked interrupted first, so its pipeline is not
 * blocked forever: at once when the holder was a process of our pid namespace that no
 * longer exists (a daemon killed and restarted), otherwise when its lease has expired.
 */
export async function beginRun(db: Db, req: BeginRun): Promise<BeginResult> {
  const host = req.host ?? os.hostname();
  const what = `run history: beginning ${req.pipeline}/${req.stage} slot ${req.slot.toISOString()}`;
  return inDatabase(what, () =>
    db.tx('begin-run', async (tx) => {
      await tx.none(
        `UPDATE runs SET state = 'interrupted', finished_at = now(),
              error_code = 'INTERRUPTED', error = 'holder stopped renewing its lease'
        WHERE pipeline = $1 AND stage = $2 AND state = 'running' AND lease_until < now()`,
        [req.pipeline, req.stage],
      );
      const live = await tx.oneOrNone(
        `SELECT * FROM runs WHERE pipeline = $1 AND stage = $2 AND state = 'running'`,
        [req.pipeline, req.stage],
        toRunRowOrNull,
      );
      if (live) {
        // Our pid namespace decides for sure; else the hosts table, for a run held by a daemon.
        const gone = holderGone(live) ? `holder (pid ${live.pid} on ${live.host}) is gone` : await goneByHeartbeat(tx, live);
        // Only the holder we saw: another process may have taken the run over meanwhile.
        const taken =
          gone !== null &&
          (
            await tx.result(
              `UPDATE runs SET state = 'interrupted', finished_at = now(), error_code = 'INTERRUPTED', error = $2
            WHERE id = $1 AND state = 'running' AND pid = $3 AND holder IS NOT DISTINCT FROM $4`,
              [live.id, gone, live.pid, live.holder],
            )
          ).rowCount === 1;
        if (!taken) return { kind: 'busy', run: live };
      }
      const previous = await tx.oneOrNone(
        'SELECT * FROM runs WHERE pipeline = $1 AND stage = $2 AND slot = $3',
        [req.pipeline, req.stage, req.slot],
        toRunRowOrNull,
      );
      // An interrupted run of the same slot is taken over, as the next attempt.
      if (previous && previous.state !== 'interrupted') return { kind: 'slot-taken', run: previous };
      const values = [req.pipeline, req.stage, req.slot, req.trigger, host, process.pid, req.leaseMs, pidNamespace()];
      const run = previous
        ? await tx.one(
            `UPDATE runs SET state = 'running', trigger = $4, host = $5, pid = $6, holder = $8, attempt = attempt + 1,
                  lease_until = now() + $7 * interval '1 millisecond', started_at = now(),
                  finished_at = NULL, error_code = NULL, error = NULL, stats = '{}'::jsonb
            WHERE id = $9 RETURNING *`,
            [...values, previous.id],
            toRunRow,
          )
        : await tx.oneOrNone(
            `INSERT INTO runs (pipeline, stage, slot, trigger, host, pid, lease_until, holder)
           VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond', $8)
           ON CONFLICT DO NOTHING RETURNING *`,
            values,
            toRunRowOrNull,
          );
      if (run) {
        heldHere.add(run.id);
        return { kind: 'started', run };
      }
      // Lost a race with another process between the checks and the insert.
      const winner = await tx.one(
        `SELECT * FROM runs WHERE pipeline = $1 AND stage = $2 AND (slot = $3 OR state = 'running')
        ORDER BY (slot = $3) DESC LIMIT 1`,
        [req.pipeline, req.stage, req.slot],
        toRunRow,
      );
      return { kind: winner.state === 'running' && winner.slot.getTime() !== req.slot.getTime() ? 'busy' : 'slot-taken', run: winner };
    }),
  );
}

export async function renewLease(db: Db, runId: number, leaseMs: number): Promise<void> {
  await inDatabase(`run history: renewing the lease of run ${runId}`, () =>
    db.none(`UPDATE runs SET lease_until = now() + $2 * interval '1 millisecond' WHERE id = $1 AND state = 'running'`, [runId, leaseMs]),
  );
}

export interface FinishRun {
  state: Exclude<RunState, 'running'>;
  stats: Record<string, number>;
  errorCode?: string;
  error?: string;
}

export async function finishRun(db: Db, runId: number, end: FinishRun): Promise<void> {
  heldHere.delete(runId);
  await inDatabase(`run history: recording the end of run ${runId} (${end.state})`, () =>
    db.none(`UPDATE runs SET state = $2, finished_at = now(), stats = $3, error_code = $4, error = $5 WHERE id = $1`, [
      runId,
      end.state,
      end.stats,
      end.errorCode ?? null,
      end.error ?? null,
    ]),
  );
}

export async function listRuns(db: Db, filter: { pipeline?: string; limit: number }): Promise<RunRow[]> {
  return inDatabase('run history: listing runs', () =>
    db.map(
      `SELECT * FROM runs WHERE ($1::text IS NULL OR pipeline = $1) ORDER BY started_at DESC, id DESC LIMIT $2`,
      [filter.pipeline ?? null, filter.limit],
      toRunRow,
    ),
  );
}
