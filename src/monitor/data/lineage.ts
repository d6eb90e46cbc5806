import type { Db } from '../../db/database.js';

/** Where a lineage starts: a catalogue load (load_id), a set key, or an archive path. */
export type LineageQuery = { load: number } | { set: string } | { path: string };

/** From the page's query string; an Error says what is wrong with it. */
function lineageQuery(query: URLSearchParams): LineageQuery | Error | null {
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
  /** Where the archived file can be seen (the target's publicUrl, or target:path). */
  url: string;
  runId: number | null;
}

export interface LineageTask {
  jobId: number;
  executor: string;
  /** The SLURM job id (the array's id for an array task). */
  schedulerId: string | null;
  taskIndex: number;
  /** The task as `sacct -j` names it: <array id>_<task> for an array task, else the job id. */
  slurmJob: string | null;
  node: string | null;
  /** The code version the job ran (code.version when it was submitted). */
  codeVersion: string | null;
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
  /** The catalogue whose lineage() answered. */
  catalogue: string;
  load: {
    id: number;
    pipeline: string;
    code: string;
    codeVersion: string;
    setKey: string;
    kind: string;
    night: string | null;
    status: string;
    source: string;
    rows: Record<string, number>;
    finishedAt: string | null;
    runId: number | null;
  };
  members: LineageMember[];
}

/** The lineage page and /api/lineage: what was asked, what is wrong with it, and the chain. */
export interface LineageView {
  query: LineageQuery | null;
  problem: string | null;
  chain: Lineage | null;
}

/** A row of <catalogue>.lineage() (sql/catalogue/README.md), with what only operators see. */
type Row = {
  load_id: string;
  load_status: string;
  pipeline: string;
  code: string;
  code_version: string;
  set_key: string;
  kind: string;
  night: Date | null;
  loaded_at: Date | null;
  source: string;
  load_run_id: string | null;
  role: string;
  file_path: string;
  sha256: string;
  size_bytes: string;
  transfer_id: string | null;
  target: string | null;
  remote_path: string | null;
  transfer_state: string | null;
  verify_method: string | null;
  verified_at: Date | null;
  archive_url: string | null;
  transfer_run_id: string | null;
  job_id: string | null;
  executor: string | null;
  scheduler_id: string | null;
  task_index: number | null;
  slurm_job: string | null;
  node: string | null;
  attempt: number | null;
  task_state: string | null;
  exit_code: number | null;
  elapsed_seconds: number | null;
  observation: string | null;
  job_run_id: string | null;
  job_code_version: string | null;
  // Beside the catalogue's columns: the state's operator-only details.
  rows: Record<string, number>;
  local_path: string | null;
  input: string | null;
  log_path: string | null;
  log_tail: string | null;
};

/**
 * The chain as the catalogue's lineage() gives it to analysts (one definition of where a
 * row comes from), joined by key to what operators see and analysts do not: the load's
 * row counts, local paths, the task's log. Every catalogue's lineage() reads the same
 * state ledger: the first one installed answers.
 */
async function lineageRows(
  db: Db,
  catalogues: readonly string[],
  query: LineageQuery,
): Promise<{ catalogue: string; rows: Row[] } | string> {
  if (catalogues.length === 0) {
    return 'no pipeline loads file sets into a catalogue (ingest.sets.catalogue): lineage starts from a catalogue load';
  }
  const installed = await db.oneOrNone<{ schema: string }>(
    `SELECT c.schema FROM unnest($1::text[]) WITH ORDINALITY AS c(schema, n)
      WHERE to_regprocedure(format('%I.lineage(bigint)', c.schema)) IS NOT NULL ORDER BY c.n LIMIT 1`,
    [catalogues],
  );
  if (!installed) {
    const names = catalogues.join(', ');
    return `lineage is read from the catalogue's lineage() function, and catalogue ${names} has none: install it (psql -f sql/catalogue/install.psql -v catalogue=${catalogues[0]})`;
  }
  const key = 'load' in query ? query.load : 'set' in query ? query.set : query.path;
  const rows = await db.any<Row>(
    `SELECT l.*, s.rows, x.local_path, t.input, t.log_path, t.log_tail
       FROM $1:name.lineage($2::${'load' in query ? 'bigint' : 'text'}) WITH ORDINALITY AS l
       JOIN ingested_sets s ON s.id = l.load_id
       LEFT JOIN transfers x ON x.id = l.transfer_id
       LEFT JOIN job_tasks t ON t.job = l.job_id AND t.task_index = l.task_index
      ORDER BY l.ordinality`,
    [installed.schema, key],
  );
  return { catalogue: installed.schema, rows };
}

const num = (v: string | number | null) => (v === null ? null : Number(v));
/** A `date` column arrives as a JS Date at local midnight. */
const day = (d: Date | null) =>
  d === null ? null : `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

function member(r: Row): LineageMember {
  return {
    role: r.role,
    path: r.file_path,
    sha256: r.sha256,
    sizeBytes: Number(r.size_bytes),
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
            url: r.archive_url!,
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
            slurmJob: r.executor === 'slurm' ? r.slurm_job : null,
            node: r.node,
            codeVersion: r.job_code_version,
            obs: r.observation!,
            input: r.input!,
            attempt: r.attempt!,
            state: r.task_state!,
            exitCode: r.exit_code,
            elapsedSeconds: r.elapsed_seconds,
            logPath: r.log_path!,
            logTail: r.log_tail,
            runId: num(r.job_run_id),
          },
  };
}

/** The lineage page and /api/lineage, from the page's query string. */
export async function lineageView(db: Db, catalogues: readonly string[], params: URLSearchParams): Promise<LineageView> {
  const query = lineageQuery(params);
  if (query instanceof Error) return { query: null, problem: query.message, chain: null };
  if (query === null) return { query, problem: null, chain: null };
  const found = await lineageRows(db, catalogues, query);
  if (typeof found === 'string') return { query, problem: found, chain: null };
  const first = found.rows[0];
  if (!first) return { query, problem: null, chain: null };
  return {
    query,
    problem: null,
    chain: {
      catalogue: found.catalogue,
      load: {
        id: Number(first.load_id),
        pipeline: first.pipeline,
        code: first.code,
        codeVersion: first.code_version,
        setKey: first.set_key,
        kind: first.kind,
        night: day(first.night),
        status: first.load_status,
        source: first.source,
        rows: first.rows,
        finishedAt: first.loaded_at?.toISOString() ?? null,
        runId: num(first.load_run_id),
      },
      members: found.rows.map(member),
    },
  };
}
