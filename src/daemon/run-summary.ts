import type { IBaseProtocol } from 'pg-promise';
import type { Db } from '../db/database.js';
import { holderGone, toRunRow, type RunRow } from '../runs/runs.js';
import { slotKey } from '../scheduling/slot-ledger.js';
import { waitingSummary, type WaitKind } from '../stages/run/waits.js';

/** Where one pipeline's stage stands in the run history, whichever host ran it. */
export interface StageRuns {
  /** The newest run that ended (succeeded, failed, skipped or interrupted). */
  last: RunRow | null;
  lastSuccessAt: Date | null;
  /** The live run, if any (one at most per pipeline and stage). */
  running: RunRow | null;
  /** A run still recorded as running whose holder is gone (killed): not running, whatever the row says. */
  stale?: { run: RunRow; why: string } | null;
  /** Tasks of the run stage waiting in SLURM, by kind of wait, and the longest wait. */
  waiting?: Array<{ kind: WaitKind; tasks: number; longestSeconds: number }>;
}

/** Why a run recorded as running is not: its holder is gone, or stopped renewing its lease. */
function staleness(run: RunRow, leaseExpired: boolean): string | null {
  if (holderGone(run)) return `its process (pid ${run.pid} on ${run.host}) is gone`;
  if (leaseExpired) return `its holder on ${run.host} (pid ${run.pid}) stopped renewing its lease`;
  return null;
}

/**
 * The runs recorded as running, each with why it is not live (null: it is). The one
 * definition of "live" of status, metrics, the overview and the monitor's other pages:
 * a killed run stays `running` in its row until the next run of its stage takes it over.
 */
export async function runningRuns(db: IBaseProtocol<unknown>): Promise<Array<{ run: RunRow; stale: string | null }>> {
  return db.map(
    `SELECT *, lease_until < now() AS lease_expired FROM runs WHERE state = 'running'`,
    [],
    (raw: Parameters<typeof toRunRow>[0] & { lease_expired: boolean }) => {
      const run = toRunRow(raw);
      return { run, stale: staleness(run, raw.lease_expired) };
    },
  );
}

/** By run id, why each run recorded as running is not: what the monitor shows instead of running. */
export async function staleRuns(db: IBaseProtocol<unknown>): Promise<Map<number, string>> {
  return new Map((await runningRuns(db)).flatMap(({ run, stale }) => (stale === null ? [] : [[run.id, stale] as const])));
}

/**
 * The history summary of every pipeline and stage, keyed `pipeline/stage`: for status and
 * metrics. Index-backed whatever the length of the history (runs_history): the pairs are
 * found by skipping through the index, then each pair's newest ended run and newest
 * success are its first entries there (runs of a pair never overlap, so the newest
 * success to start is the last to finish).
 */
export async function summarizeRuns(db: Db): Promise<Map<string, StageRuns>> {
  const { ended, successes, running, waiting } = await db.task('summarize-runs', async (t) => {
    const pairs = await t.any<{ pipeline: string; stage: string }>(
      `WITH RECURSIVE pairs AS (
         (SELECT pipeline, stage FROM runs ORDER BY pipeline, stage LIMIT 1)
         UNION ALL
         SELECT n.pipeline, n.stage FROM pairs p
          CROSS JOIN LATERAL (SELECT pipeline, stage FROM runs r WHERE (r.pipeline, r.stage) > (p.pipeline, p.stage)
                               ORDER BY pipeline, stage LIMIT 1) n)
       SELECT pipeline, stage FROM pairs`,
    );
    const pipelines = pairs.map((p) => p.pipeline);
    const stages = pairs.map((p) => p.stage);
    return {
      ended: await t.map(
        `SELECT r.* FROM unnest($1::text[], $2::text[]) AS p(pipeline, stage)
          CROSS JOIN LATERAL (SELECT * FROM runs x WHERE x.pipeline = p.pipeline AND x.stage = p.stage AND x.state <> 'running'
                               ORDER BY x.started_at DESC, x.id DESC LIMIT 1) r`,
        [pipelines, stages],
        toRunRow,
      ),
      successes: await t.any<{ pipeline: string; stage: string; at: Date }>(
        `SELECT p.pipeline, p.stage, r.finished_at AS at FROM unnest($1::text[], $2::text[]) AS p(pipeline, stage)
          CROSS JOIN LATERAL (SELECT finished_at FROM runs x WHERE x.pipeline = p.pipeline AND x.stage = p.stage AND x.state = 'succeeded'
                               ORDER BY x.started_at DESC LIMIT 1) r`,
        [pipelines, stages],
      ),
      running: await runningRuns(t),
      waiting: await waitingSummary(t),
    };
  });
  const summary = new Map<string, StageRuns>();
  const entry = (pipeline: string, stage: string): StageRuns => {
    const key = slotKey(pipeline, stage);
    let value = summary.get(key);
    if (!value) summary.set(key, (value = { last: null, lastSuccessAt: null, running: null }));
    return value;
  };
  for (const run of ended) entry(run.pipeline, run.stage).last = run;
  for (const s of successes) entry(s.pipeline, s.stage).lastSuccessAt = s.at;
  for (const { run, stale } of running) {
    if (stale === null) entry(run.pipeline, run.stage).running = run;
    else entry(run.pipeline, run.stage).stale = { run, why: stale };
  }
  for (const w of waiting) {
    const e = entry(w.pipeline, 'run');
    e.waiting = [...(e.waiting ?? []), { kind: w.kind, tasks: w.tasks, longestSeconds: w.longestSeconds }];
  }
  return summary;
}

/** A run's duration in seconds, if it ended. */
export function runSeconds(run: RunRow): number | null {
  return run.finished_at ? (run.finished_at.getTime() - run.started_at.getTime()) / 1000 : null;
}
