import type { Db } from '../../db/database.js';

/** Where a lineage starts: a catalogue load (load_id), a set key, or an archive path. */
export type LineageQuery = { load: number } | { set: string } | { path: string };

/** From the page's query string; an Error says what is wrong with it. */
export function lineageQuery(query: URLSearchParams): LineageQuery | Error | null {
  const load = query.get('load');
  const set = query.get('set');
  const file = query.get('path');
  if (load) return /^\d{1,18}$/.test(load) ? { load: Number(load) } : new Error(`load must be a load_id (a number), not "${load}"`);
  if (set) return { set };
  if (file) return { path: file };
  return null;
}

export interface LineageTransfer {
  id: number;
  target: string;
  remotePath: string;
  localPath: string;
  state: string;
  verifyMethod: string | null;
  verifiedAt: string | null;
  runId: number | null;
}

export interface LineageTask {
  jobId: number;
  executor: string;
  /** The SLURM job id (the array's id for an array task). */
  schedulerId: string | null;
  taskIndex: number;
  obs: string;
  input: string;
  attempt: number;
  state: string;
  exitCode: number | null;
  elapsedSeconds: number | null;
  logPath: string;
  logTail: string | null;
  runId: number | null;
}

export interface LineageMember {
  role: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  transfer: LineageTransfer | null;
  task: LineageTask | null;
}

export interface Lineage {
  load: {
    id: number;
    pipeline: string;
    code: string;
    codeVersion: string;
    setKey: string;
    kind: string;
    status: string;
    source: string;
    rows: Record<string, number>;
    finishedAt: string | null;
    runId: number | null;
  };
  members: LineageMember[];
}

type Row = {
  load_id: string;
  pipeline: string;
  code: string;
  code_version: string;
  set_key: string;
  kind: string;
  status: string;
  source: string;
  rows: Record<string, number>;
  finished_at: Date | null;
  load_run_id: string | null;
  role: string;
  path: string;
  sha256: string;
  size: string | number;
  transfer_id: string | null;
  target: string | null;
  remote_path: string | null;
  local_path: string | null;
  transfer_state: string | null;
  verify_method: string | null;
  verified_at: Date | null;
  transfer_run_id: string | null;
  job_id: string | null;
  executor: string | null;
  scheduler_id: string | null;
  task_index: number | null;
  obs: string | null;
  input: string | null;
  attempt: number | null;
  task_state: string | null;
  exit_code: number | null;
  elapsed_seconds: number | null;
  log_path: string | null;
  log_tail: string | null;
  task_run_id: string | null;
};

/**
 * One row per member file of the load: the load, the file, the transfer that put it on
 * the archive (matched by its remote path) and the task that published it into the
 * outbox (matched by its outputs). Issue 22 adds this chain to the catalogue as
 * hfc.lineage(...); until it lands, the monitor asks the state tables here, in the
 * same shape, and this query is what gets replaced by a call to it.
 */
async function lineageRows(db: Db, query: LineageQuery): Promise<Row[]> {
  return db.any<Row>(
    `WITH target_load AS (
       SELECT s.* FROM ingested_sets s
        WHERE ($1::bigint IS NOT NULL AND s.id = $1)
           OR ($2::text IS NOT NULL AND s.id = (SELECT max(id) FROM ingested_sets WHERE set_key = $2 AND status IN ('loaded', 'replaced')))
           OR ($3::text IS NOT NULL AND s.id = (SELECT max(id) FROM ingested_sets WHERE members @> jsonb_build_array(jsonb_build_object('path', $3::text))))
     )
     SELECT l.id AS load_id, l.pipeline, l.code, l.code_version, l.set_key, l.kind, l.status, l.source, l.rows, l.finished_at,
            l.run_id AS load_run_id, m.role, m.path, m.sha256, m.size,
            x.id AS transfer_id, x.target, x.remote_path, x.local_path, x.state AS transfer_state, x.verify_method,
            (SELECT min(e.at) FROM transfer_events e WHERE e.transfer_id = x.id AND e.to_state = 'verified') AS verified_at,
            x.run_id AS transfer_run_id,
            j.id AS job_id, j.executor, j.scheduler_id, t.task_index, t.obs, t.input, t.attempt, t.state AS task_state, t.exit_code,
            extract(epoch FROM t.finished_at - t.started_at)::float8 AS elapsed_seconds, t.log_path, t.log_tail, j.run_id AS task_run_id
       FROM target_load l
       CROSS JOIN LATERAL jsonb_to_recordset(l.members) AS m(role text, path text, sha256 text, size bigint)
       LEFT JOIN LATERAL (SELECT * FROM transfers x WHERE x.pipeline = l.pipeline AND x.remote_path = m.path AND x.kind = 'output'
                           ORDER BY x.id DESC LIMIT 1) x ON true
       LEFT JOIN LATERAL (SELECT t.* FROM job_tasks t WHERE t.pipeline = l.pipeline AND t.state = 'completed'
                             AND t.outputs ? regexp_replace(coalesce(x.local_path, m.path), '^.*/', '')
                           ORDER BY t.job DESC LIMIT 1) t ON true
       LEFT JOIN jobs j ON j.id = t.job
      ORDER BY m.role, m.path`,
    ['load' in query ? query.load : null, 'set' in query ? query.set : null, 'path' in query ? query.path : null],
  );
}

const num = (v: string | number | null) => (v === null ? null : Number(v));

/** The lineage page and /api/lineage: null when nothing matches the query. */
export async function lineage(db: Db, query: LineageQuery | null): Promise<Lineage | null> {
  if (query === null) return null;
  const rows = await lineageRows(db, query);
  const first = rows[0];
  if (!first) return null;
  return {
    load: {
      id: Number(first.load_id),
      pipeline: first.pipeline,
      code: first.code,
      codeVersion: first.code_version,
      setKey: first.set_key,
      kind: first.kind,
      status: first.status,
      source: first.source,
      rows: first.rows,
      finishedAt: first.finished_at?.toISOString() ?? null,
      runId: num(first.load_run_id),
    },
    members: rows.map((r) => ({
      role: r.role,
      path: r.path,
      sha256: r.sha256,
      sizeBytes: Number(r.size),
      transfer:
        r.transfer_id === null
          ? null
          : {
              id: Number(r.transfer_id),
              target: r.target!,
              remotePath: r.remote_path!,
              localPath: r.local_path!,
              state: r.transfer_state!,
              verifyMethod: r.verify_method,
              verifiedAt: r.verified_at?.toISOString() ?? null,
              runId: num(r.transfer_run_id),
            },
      task:
        r.job_id === null
          ? null
          : {
              jobId: Number(r.job_id),
              executor: r.executor!,
              schedulerId: r.scheduler_id,
              taskIndex: r.task_index!,
              obs: r.obs!,
              input: r.input!,
              attempt: r.attempt!,
              state: r.task_state!,
              exitCode: r.exit_code,
              elapsedSeconds: r.elapsed_seconds,
              logPath: r.log_path!,
              logTail: r.log_tail,
              runId: num(r.task_run_id),
            },
    })),
  };
}
