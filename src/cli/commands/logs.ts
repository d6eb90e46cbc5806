import type { Db } from '../../db/database.js';
import { toRunRowOrNull, type RunRow } from '../../runs/runs.js';
import { explainWait } from '../../executors/states.js';
import { readLogTail } from '../../stages/run/log-tail.js';
import { EXIT } from '../../core/exit-codes.js';
import { wholeNumber } from '../options.js';
import { CliExit, loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface LogsOptions extends CliOptions {
  lines: string;
}

/** A task of a job of the run stage, with where its output went. */
interface TaskLog {
  job_name: string;
  scheduler_id: string | null;
  executor: string;
  task_index: number | null;
  obs: string | null;
  state: string | null;
  exit_code: number | null;
  reason: string | null;
  log_path: string | null;
  log_tail: string | null;
  started_at: Date | null;
  wait_reason: string | null;
  waiting_since: Date | null;
  left_files: string[] | null;
}

/** How much of a log file is read from its end: enough for the last lines, never the whole file. */
const TAIL_BYTES = 64 * 1024;

/** `nocturne logs <run>`: the run's record, then the end of each job log recorded for it. */
export async function logsCommand(runArg: string, options: LogsOptions): Promise<void> {
  const id = wholeNumber('<run> (a run number, see nocturne history)', runArg, 1);
  const lines = wholeNumber('--lines', options.lines, 1, 10_000);
  const config = await loadOrExit(options);
  const text = await withDb(config, (db) => runLogs(db, id, lines));
  if (text === null) throw new CliExit(EXIT.failure, `no run ${id} in the history (see nocturne history)`);
  process.stdout.write(text);
}

/** What `nocturne logs <run>` prints, or null when there is no such run. */
export async function runLogs(db: Db, id: number, lines: number): Promise<string | null> {
  const run = await db.oneOrNone('SELECT * FROM runs WHERE id = $1', [id], toRunRowOrNull);
  if (!run) return null;
  const tasks = await taskLogs(db, id);
  const out: string[] = [formatRun(run)];
  if (tasks.length === 0) {
    out.push(run.stage === 'run' ? 'no job was recorded for this run' : `no job logs: the ${run.stage} stage runs no jobs`);
  }
  for (const task of tasks) out.push('', ...(await formatTask(task, lines)));
  return `${out.join('\n')}\n`;
}

export function formatRun(run: RunRow): string {
  const took = run.finished_at ? `${((run.finished_at.getTime() - run.started_at.getTime()) / 1000).toFixed(1)} s` : 'still running';
  const fields: [string, string][] = [
    ['run', `${run.id}: ${run.pipeline}/${run.stage}`],
    ['slot', `${run.slot.toISOString()} (${run.trigger}, attempt ${run.attempt})`],
    ['state', run.state],
    ['host', `${run.host} (pid ${run.pid})`],
    ['started', run.started_at.toISOString()],
    ['finished', run.finished_at ? `${run.finished_at.toISOString()} (${took})` : took],
    [
      'stats',
      Object.entries(run.stats)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-',
    ],
  ];
  if (run.error) fields.push(['error', `${run.error_code ?? ''}${run.error_code ? ': ' : ''}${run.error}`]);
  return fields.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`).join('\n');
}

/** The job tasks recorded for a run, if the run stage's tables exist in this schema. */
async function taskLogs(db: Db, runId: number): Promise<TaskLog[]> {
  const { present } = await db.one<{ present: boolean }>("SELECT to_regclass('job_tasks') IS NOT NULL AS present");
  if (!present) return [];
  return db.any<TaskLog>(
    `SELECT j.name AS job_name, j.scheduler_id, j.executor, t.task_index, t.obs, t.state, t.exit_code, t.reason,
            t.log_path, t.log_tail, t.started_at, t.wait_reason, t.waiting_since, t.left_files
       FROM jobs j LEFT JOIN job_tasks t ON t.job = j.id
      WHERE j.run_id = $1 ORDER BY j.id, t.task_index`,
    [runId],
  );
}

async function formatTask(task: TaskLog, lines: number): Promise<string[]> {
  const id = task.scheduler_id ? `${task.executor} job ${task.scheduler_id}` : `${task.executor} job (not submitted)`;
  const waiting = task.wait_reason ? `, waiting since ${task.waiting_since?.toISOString() ?? '?'}: ${explainWait(task.wait_reason)}` : '';
  const head =
    `== ${task.job_name} (${id})${task.task_index === null ? '' : ` task ${task.task_index}`}` +
    `${task.obs ? `, observation ${task.obs}` : ''}: ${task.state ?? 'no task'}${waiting}` +
    `${task.exit_code === null ? '' : `, exit ${task.exit_code}`}${task.reason ? `, ${task.reason}` : ''}`;
  const left = task.left_files?.length ? [`-- files it wrote and did not publish (kept): ${task.left_files.join(', ')}`] : [];
  if (!task.log_path) return [head, ...left];
  let tail: string | null;
  try {
    tail = await readLogTail(task.log_path, lines, TAIL_BYTES);
  } catch (err) {
    // Another host's log directory, or permissions: the database may still hold the end.
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    return [head, ...left, `-- ${task.log_path}: not readable here (${why})`, ...saved(task)];
  }
  if (tail !== null) return [head, ...left, `-- ${task.log_path} (last ${lines} lines)`, tail];
  // No log: a task that never started has none (no start seen, no exit code); one that ran wrote it on another host.
  if (task.started_at === null && task.exit_code === null) {
    return [head, ...left, task.state === 'pending' ? '-- no log yet: the task has not started' : '-- no log: the task never started'];
  }
  return [head, ...left, `-- ${task.log_path}: not readable here (ENOENT)`, ...saved(task)];
}

function saved(task: TaskLog): string[] {
  return task.log_tail ? ['-- last lines saved when the task ended:', task.log_tail] : [];
}
