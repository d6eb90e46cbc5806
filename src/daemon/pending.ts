import type { StageName } from '../config/schema.js';
import type { LoadedPipeline } from '../config/types.js';
import type { Db } from '../db/database.js';

/**
 * How much work a stage of a pipeline has waiting, by kind ("observations_pending": 3,
 * "bytes": 1.2e9...), as far as the state tables know it: for status and metrics. A
 * stage can replace its default by one that knows better.
 */
export type PendingCounter = (db: Db, pipeline: LoadedPipeline) => Promise<Record<string, number>>;

type Counts = { kind: string; n: string | number }[];

/**
 * Counts from a state table, or nothing while the migration that creates it has not
 * run (a daemon older than the stage, or a database shared with one).
 */
function fromTable(table: string, sql: string): PendingCounter {
  return async (db, pipeline) => {
    const counts = await db.task('pending', async (t) => {
      const exists = await t.one<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
      return exists.present ? t.any<Counts[number]>(sql, [pipeline.config.name]) : [];
    });
    return Object.fromEntries(counts.map((c) => [c.kind, Number(c.n)]));
  };
}

const filesRejected = fromTable(
  'ingested_files',
  `SELECT 'files_rejected' AS kind, count(*) AS n FROM ingested_files
    WHERE pipeline = $1 AND status = 'rejected' AND id IN (SELECT id FROM open_rejected_files)`,
);

/**
 * Sets mode: the sets rejected (bad input, or a member that never came) and refused (a
 * changed re-emission under `reemitted: keep`), as many as hfc.rejected_sets lists, and
 * those waiting for a member within initWait. Every kind is given, 0 included.
 */
const setsSetAside = fromTable(
  'ingested_sets',
  `SELECT 'sets_' || k.status AS kind, count(s.id) AS n
     FROM unnest(ARRAY['rejected', 'refused', 'waiting']) WITH ORDINALITY AS k(status, i)
     LEFT JOIN ingested_sets s ON s.pipeline = $1 AND s.status = k.status
                              AND (s.status = 'waiting' OR s.id IN (SELECT id FROM open_rejected_sets))
    GROUP BY k.status, k.i ORDER BY k.i`,
);

export const PENDING_COUNTERS: Record<StageName, PendingCounter> = {
  // Observations not yet done, and the tasks of unfinished jobs by state.
  run: fromTable(
    'job_tasks',
    `SELECT 'observations_' || state AS kind, count(*) AS n FROM observations
      WHERE pipeline = $1 AND state IN ('pending', 'active', 'failed') GROUP BY state
     UNION ALL
     SELECT 'tasks_' || t.state, count(*) FROM job_tasks t JOIN jobs j ON j.id = t.job
      WHERE j.pipeline = $1 AND j.state IN ('submitting', 'submitted') GROUP BY t.state`,
  ),
  // Files known to the transfer ledger and not yet safely archived, and those set aside.
  upload: fromTable(
    'transfers',
    `SELECT 'files' AS kind, count(*) AS n FROM transfers
      WHERE pipeline = $1 AND state NOT IN ('deleted', 'kept', 'quarantined', 'missing')
     UNION ALL
     SELECT 'bytes', coalesce(sum(size_bytes), 0) FROM transfers
      WHERE pipeline = $1 AND state NOT IN ('deleted', 'kept', 'quarantined', 'missing')
     UNION ALL
     SELECT 'quarantined', count(*) FROM transfers
      WHERE pipeline = $1 AND state = 'quarantined' AND id IN (SELECT id FROM open_quarantined_transfers)`,
  ),
  // What is still to ingest lies in the source directory, not in the database: only what
  // was set aside for a person to look at is counted, in the ledger of the pipeline's mode.
  ingest: (db, pipeline) => (pipeline.config.ingest?.mode === 'sets' ? setsSetAside : filesRejected)(db, pipeline),
};
