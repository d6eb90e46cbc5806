import type { Db } from '../db/database.js';
import { toRunRow, type RunRow } from '../runs/runs.js';
import { slotKey } from '../scheduling/slot-ledger.js';

/** Where one pipeline's stage stands in the run history, whichever host ran it. */
export interface StageRuns {
  /** The newest run that ended (succeeded, failed, skipped or interrupted). */
  last: RunRow | null;
  lastSuccessAt: Date | null;
  /** The live run, if any (one at most per pipeline and stage). */
  running: RunRow | null;
}

/** The history summary of every pipeline and stage, keyed `pipeline/stage`: for status and metrics. */
export async function summarizeRuns(db: Db): Promise<Map<string, StageRuns>> {
  const { ended, successes, running } = await db.task('summarize-runs', async (t) => ({
    ended: await t.map(
      `SELECT DISTINCT ON (pipeline, stage) * FROM runs WHERE state <> 'running'
        ORDER BY pipeline, stage, started_at DESC, id DESC`,
      [],
      toRunRow,
    ),
    successes: await t.any<{ pipeline: string; stage: string; at: Date }>(
      `SELECT pipeline, stage, max(finished_at) AS at FROM runs WHERE state = 'succeeded' GROUP BY pipeline, stage`,
    ),
    running: await t.map(`SELECT * FROM runs WHERE state = 'running'`, [], toRunRow),
  }));
  const summary = new Map<string, StageRuns>();
  const entry = (pipeline: string, stage: string): StageRuns => {
    const key = slotKey(pipeline, stage);
    let value = summary.get(key);
    if (!value) summary.set(key, (value = { last: null, lastSuccessAt: null, running: null }));
    return value;
  };
  for (const run of ended) entry(run.pipeline, run.stage).last = run;
  for (const s of successes) entry(s.pipeline, s.stage).lastSuccessAt = s.at;
  for (const run of running) entry(run.pipeline, run.stage).running = run;
  return summary;
}

/** A run's duration in seconds, if it ended. */
export function runSeconds(run: RunRow): number | null {
  return run.finished_at ? (run.finished_at.getTime() - run.started_at.getTime()) / 1000 : null;
}
