import type { NocturneConfig } from '../../config/types.js';
import { staleRuns } from '../../daemon/run-summary.js';
import type { Db } from '../../db/database.js';
import { toRunRowOrNull, type RawRunRow, type RunRow } from '../../runs/runs.js';
import { readLogTail } from '../../stages/run/log-tail.js';
import { localDate } from '../../stages/nights.js';

export interface TaskDetail {
  index: number;
  obs: string;
  input: string;
  attempt: number;
  state: string;
  schedulerState: string | null;
  exitCode: number | null;
  signal: number | null;
  reason: string | null;
  /** Where it ran (SLURM NodeList, or the local host); null while it waits. */
  node: string | null;
  elapsedSeconds: number | null;
  logPath: string;
  logTail: string | null;
}

export interface JobDetail {
  id: number;
  name: string;
  executor: string;
  schedulerId: string | null;
  isArray: boolean;
  /** The code version the job ran (code.version when it was submitted); null for jobs submitted before nocturne kept it. */
  codeVersion: string | null;
  state: string;
  submittedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  tasks: TaskDetail[];
}

export interface FileDetail {
  id: number;
  kind: string;
  localPath: string;
  target: string;
  remotePath: string;
  state: string;
  verifyMethod: string | null;
  sizeBytes: number;
  error: string | null;
  quarantinePath: string | null;
}

/** A located problem of a rejected file or set: file:line:column and why. */
export interface LoadIssue {
  file: string | null;
  line: number | null;
  column: string | null;
  value: string | null;
  reason: string;
}

export interface LoadDetail {
  /** set: a file set or track file (load_id); file: a single CSV file. */
  kind: 'set' | 'file';
  id: number;
  name: string;
  status: string;
  rowsLoaded: number;
  rowsRejected: number;
  error: string | null;
  issues: LoadIssue[];
}

export interface RowDetail {
  file: string;
  line: number;
  reason: string;
  raw: string;
}

export interface RunDetail {
  run: {
    id: number;
    pipeline: string;
    stage: string;
    night: string;
    slot: string;
    trigger: string;
    state: string;
    attempt: number;
    host: string;
    startedAt: string;
    finishedAt: string | null;
    durationSeconds: number | null;
    errorCode: string | null;
    error: string | null;
    stats: Record<string, number>;
  };
  jobs: JobDetail[];
  files: FileDetail[];
  loads: LoadDetail[];
  rows: RowDetail[];
}

/** Logs are read for the tasks of small runs only: a page must not read a thousand files. */
const LOG_TAILS_UP_TO = 50;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const seconds = (from: Date | null, to: Date | null) => (from && to ? (to.getTime() - from.getTime()) / 1000 : null);

// The columns of the state tables this page reads (sql/state/), as pg returns them: bigint as text.
interface JobRowRead {
  id: string;
  name: string;
  executor: string;
  scheduler_id: string | null;
  is_array: boolean;
  code_version: string | null;
  state: string;
  submitted_at: Date | null;
  finished_at: Date | null;
  error: string | null;
}
interface TaskRowRead {
  job: string;
  task_index: number;
  obs: string;
  input: string;
  attempt: number;
  state: string;
  scheduler_state: string | null;
  exit_code: number | null;
  signal: number | null;
  reason: string | null;
  node: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  log_path: string;
  log_tail: string | null;
}
interface TransferRowRead {
  id: string;
  kind: string;
  local_path: string;
  target: string;
  remote_path: string;
  state: string;
  verify_method: string | null;
  size_bytes: string;
  error: string | null;
  quarantine_path: string | null;
}
interface SetRowRead {
  id: string;
  set_key: string;
  status: string;
  rows: Record<string, number>;
  error: string | null;
  report: { issues?: IssueJson[] } | null;
}
interface CsvFileRowRead {
  id: string;
  path: string;
  status: string;
  rows_inserted: number;
  rows_updated: number;
  rows_quarantined: number;
  error: string | null;
  report: { issues?: IssueJson[] } | null;
}
interface QuarantinedRowRead {
  path: string;
  line: number;
  reason: string;
  raw: string;
}

type IssueJson = { file?: string; line?: number; column?: string; value?: string; reason: string };

function issuesOf(report: { issues?: IssueJson[] } | null): LoadIssue[] {
  return (report?.issues ?? []).map((i) => ({
    file: i.file ?? null,
    line: i.line ?? null,
    column: i.column ?? null,
    value: i.value ?? null,
    reason: i.reason,
  }));
}

/** The run page and /api/runs/{id}: the run, its jobs and tasks, its files, its loads. Null when no such run. */
export async function runDetail(config: NocturneConfig, db: Db, id: number): Promise<RunDetail | null> {
  const run = await db.oneOrNone<RawRunRow>('SELECT * FROM runs WHERE id = $1', [id]).then(toRunRowOrNull);
  if (!run) return null;
  // Each list is found by run_id through an index (sql/state/0013).
  const [jobs, tasks, files, sets, csvFiles, rows, stale] = await Promise.all([
    db.any<JobRowRead>('SELECT * FROM jobs WHERE run_id = $1 ORDER BY id', [id]),
    db.any<TaskRowRead>(`SELECT t.* FROM job_tasks t WHERE t.job IN (SELECT id FROM jobs WHERE run_id = $1) ORDER BY t.job, t.task_index`, [
      id,
    ]),
    db.any<TransferRowRead>('SELECT * FROM transfers WHERE run_id = $1 ORDER BY id LIMIT 5000', [id]),
    db.any<SetRowRead>('SELECT * FROM ingested_sets WHERE run_id = $1 ORDER BY id LIMIT 5000', [id]),
    db.any<CsvFileRowRead>('SELECT * FROM ingested_files WHERE run_id = $1 ORDER BY id LIMIT 5000', [id]),
    db.any<QuarantinedRowRead>(
      `SELECT f.path, q.line, q.reason, q.raw FROM quarantine_rows q JOIN ingested_files f ON f.id = q.file_id
        WHERE f.run_id = $1 ORDER BY f.id, q.line LIMIT 1000`,
      [id],
    ),
    run.state === 'running' ? staleRuns(db).then((all) => all.get(id)) : undefined,
  ]);
  const readTails = tasks.length <= LOG_TAILS_UP_TO;
  const taskDetails = await Promise.all(
    tasks.map(async (t): Promise<TaskDetail & { job: string }> => ({
      job: t.job,
      index: t.task_index,
      obs: t.obs,
      input: t.input,
      attempt: t.attempt,
      state: t.state,
      schedulerState: t.scheduler_state,
      exitCode: t.exit_code,
      signal: t.signal,
      reason: t.reason,
      node: t.node,
      elapsedSeconds: seconds(t.started_at, t.finished_at),
      logPath: t.log_path,
      logTail: t.log_tail ?? (readTails ? await readLogTail(t.log_path, 20, 4096).catch(() => null) : null),
    })),
  );
  const timezone = config.pipelines.get(run.pipeline)?.config[run.stage]?.timezone ?? 'UTC';
  return {
    run: describeRun(run, timezone, stale),
    jobs: jobs.map((j) => ({
      id: Number(j.id),
      name: j.name,
      executor: j.executor,
      schedulerId: j.scheduler_id,
      isArray: j.is_array,
      codeVersion: j.code_version,
      state: j.state,
      submittedAt: iso(j.submitted_at),
      finishedAt: iso(j.finished_at),
      error: j.error,
      tasks: taskDetails.filter((t) => t.job === j.id).map(({ job: _job, ...task }) => task),
    })),
    files: files.map((f) => ({
      id: Number(f.id),
      kind: f.kind,
      localPath: f.local_path,
      target: f.target,
      remotePath: f.remote_path,
      state: f.state,
      verifyMethod: f.verify_method,
      sizeBytes: Number(f.size_bytes),
      error: f.error,
      quarantinePath: f.quarantine_path,
    })),
    loads: [
      ...sets.map((s): LoadDetail => ({
        kind: 'set',
        id: Number(s.id),
        name: s.set_key,
        status: s.status,
        rowsLoaded: Object.values(s.rows).reduce((a, b) => a + Number(b), 0),
        rowsRejected: 0,
        error: s.error,
        issues: issuesOf(s.report),
      })),
      ...csvFiles.map((f): LoadDetail => ({
        kind: 'file',
        id: Number(f.id),
        name: f.path,
        status: f.status,
        rowsLoaded: f.rows_inserted + f.rows_updated,
        rowsRejected: f.rows_quarantined,
        error: f.error,
        issues: issuesOf(f.report).map((i) => ({ ...i, file: i.file ?? f.path })),
      })),
    ],
    rows: rows.map((r) => ({ file: r.path, line: r.line, reason: r.reason, raw: r.raw })),
  };
}

/** `stale`: why a run recorded as running is not (runningRuns): it is shown interrupted, as the overview does. */
function describeRun(run: RunRow, timezone: string, stale: string | undefined): RunDetail['run'] {
  return {
    id: run.id,
    pipeline: run.pipeline,
    stage: run.stage,
    night: localDate(run.slot, timezone),
    slot: run.slot.toISOString(),
    trigger: run.trigger,
    state: stale === undefined ? run.state : 'interrupted',
    attempt: run.attempt,
    host: run.host,
    startedAt: run.started_at.toISOString(),
    finishedAt: iso(run.finished_at),
    durationSeconds: seconds(run.started_at, run.finished_at),
    errorCode: run.error_code,
    error: stale === undefined ? run.error : `not running: ${stale}; the next run takes it over`,
    stats: run.stats,
  };
}
