import { NocturneError } from '../../core/errors.js';
import type { Db } from '../../db/database.js';
import { inDatabase } from '../../db/errors.js';
import { storableOrNull, storableText } from '../../db/text.js';
import type { ExecutorKind } from '../../executors/types.js';
import type { Observation } from './discover.js';

/** An observation that is still to be submitted. */
export interface PendingObservation extends Observation {
  failures: number;
  retryAt: Date | null;
}

export interface JobRecord {
  id: number;
  token: string;
  name: string;
  executor: ExecutorKind;
  isArray: boolean;
  schedulerId: string | null;
  jobDir: string;
  scriptPath: string;
  createdAt: Date;
  taskCount: number;
}

/** One task of a job: which observation, which attempt, where its log goes. */
export interface TaskBase {
  index: number;
  input: string;
  obs: string;
  night: string;
  attempt: number;
  logPath: string;
}

export interface TaskRecord extends TaskBase {
  state: 'pending' | 'running';
  /** SLURM's reason while the task waits, and since when. */
  waitReason?: string | null;
  waitingSince?: Date | null;
  /** nocturne asked SLURM to cancel it (an earlier run's stage timeout). */
  cancelRequested?: boolean;
  /** When nocturne first asked. */
  cancelRequestedAt?: Date | null;
  /** Outputs being published: recorded before they are moved into the outbox. */
  outputs?: string[] | null;
}

/** A task and the job it belongs to, as the store addresses it. */
export interface TaskKeyRow {
  job: number;
  index: number;
}

export interface NewJob {
  token: string;
  name: string;
  pipeline: string;
  runId: number | null;
  executor: ExecutorKind;
  isArray: boolean;
  jobDir: string;
  scriptPath: string;
  argv: string[];
  /** The pipeline's code.version: what the job runs. */
  codeVersion: string;
  tasks: TaskBase[];
}

/** The last word on one task, with what it means for its observation. */
export interface TaskEnd {
  job: number;
  index: number;
  input: string;
  state: 'completed' | 'failed' | 'lost' | 'interrupted';
  schedulerState: string | null;
  /** Files the task wrote and did not publish, relative to its directory. */
  leftFiles: string[] | null;
  exitCode: number | null;
  signal: number | null;
  reason: string | null;
  retryable: boolean | null;
  /** Where it ran, when the scheduler said. */
  node: string | null;
  logTail: string | null;
  outputs: string[] | null;
  observation: { state: 'done' | 'failed' | 'pending'; failures: number; retryAt: Date | null };
}

/**
 * PostgreSQL side of the run stage: the observations ledger, jobs and their tasks. Text
 * that a code or SLURM wrote (log tails, reasons, file names, states) is stored through
 * storableText(): a NUL in one task's log must not keep a whole night's ends unrecorded.
 */
export class JobLedger {
  constructor(
    readonly db: Db,
    readonly pipeline: string,
  ) {}

  async register(found: readonly Observation[]): Promise<void> {
    if (found.length === 0) return;
    return inDatabase(`${this.pipeline}: registering ${found.length} observations`, async () => {
      await this.db.none(
        `INSERT INTO observations (pipeline, input, obs, night)
         SELECT $1, u.input, u.obs, u.night FROM unnest($2::text[], $3::text[], $4::date[]) AS u(input, obs, night)
         ON CONFLICT DO NOTHING`,
        [this.pipeline, found.map((o) => o.input), found.map((o) => o.obs), found.map((o) => o.night)],
      );
    });
  }

  /** States of these inputs that are known already (for dry runs, which write nothing). */
  async knownStates(inputs: readonly string[]): Promise<Map<string, string>> {
    return inDatabase(`${this.pipeline}: reading the states of ${inputs.length} observations`, async () => {
      const rows = await this.db.any<{ input: string; state: string }>(
        'SELECT input, state FROM observations WHERE pipeline = $1 AND input = ANY($2::text[])',
        [this.pipeline, inputs],
      );
      return new Map(rows.map((r) => [r.input, r.state]));
    });
  }

  /**
   * An observation left 'active' without a live task (its job row was lost with a
   * crashed transaction elsewhere) would wait forever: it becomes pending again.
   */
  async repair(): Promise<number> {
    return inDatabase(`${this.pipeline}: repairing active observations without a live task`, async () => {
      const result = await this.db.result(
        `UPDATE observations o SET state = 'pending', updated_at = now()
          WHERE pipeline = $1 AND state = 'active' AND NOT EXISTS (
                SELECT 1 FROM job_tasks t WHERE t.pipeline = o.pipeline AND t.input = o.input AND t.state IN ('pending', 'running'))`,
        [this.pipeline],
      );
      return result.rowCount;
    });
  }

  async pending(): Promise<PendingObservation[]> {
    return inDatabase(`${this.pipeline}: listing pending observations`, async () => {
      const rows = await this.db.any<{ input: string; obs: string; night: Date; failures: number; retry_at: Date | null }>(
        `SELECT input, obs, night, failures, retry_at FROM observations
          WHERE pipeline = $1 AND state = 'pending' ORDER BY night, input`,
        [this.pipeline],
      );
      return rows.map((r) => ({ input: r.input, obs: r.obs, night: localDay(r.night), failures: r.failures, retryAt: r.retry_at }));
    });
  }

  async activeJobs(): Promise<Array<JobRecord & { tasks: TaskRecord[] }>> {
    return inDatabase(`${this.pipeline}: listing active jobs`, async () => {
      const jobs = await this.db.any<JobRecord>(
        `SELECT j.id::int AS id, token, name, executor, is_array AS "isArray", scheduler_id AS "schedulerId",
                job_dir AS "jobDir", script_path AS "scriptPath", created_at AS "createdAt",
                (SELECT count(*)::int FROM job_tasks t WHERE t.job = j.id) AS "taskCount"
           FROM jobs j WHERE pipeline = $1 AND state IN ('submitting', 'submitted') ORDER BY id`,
        [this.pipeline],
      );
      const tasks = await this.db.any<Omit<TaskRecord, 'night'> & { job: number; night: Date }>(
        `SELECT t.job::int AS job, task_index AS index, t.input, t.obs, o.night, attempt, t.state, log_path AS "logPath",
                t.wait_reason AS "waitReason", t.waiting_since AS "waitingSince",
                t.cancel_requested_at IS NOT NULL AS "cancelRequested", t.cancel_requested_at AS "cancelRequestedAt", t.outputs
           FROM job_tasks t JOIN observations o USING (pipeline, input)
          WHERE t.job = ANY($1::bigint[]) AND t.state IN ('pending', 'running')`,
        [jobs.map((j) => j.id)],
      );
      return jobs.map((job) => ({
        ...job,
        tasks: tasks.filter((t) => t.job === job.id).map(({ job: _job, ...t }) => ({ ...t, night: localDay(t.night) })),
      }));
    });
  }

  /** Saves the job and its token BEFORE it is submitted, and marks its observations active. */
  async createJob(job: NewJob): Promise<number> {
    return inDatabase(`${this.pipeline}: recording job ${job.name}`, async () => {
      return this.db.tx('run-create-job', async (tx) => {
        const { id } = await tx.one<{ id: number }>(
          `INSERT INTO jobs (token, name, pipeline, run_id, executor, is_array, job_dir, script_path, submit_argv, code_version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10) RETURNING id::int AS id`,
          [
            job.token,
            job.name,
            job.pipeline,
            job.runId,
            job.executor,
            job.isArray,
            job.jobDir,
            job.scriptPath,
            JSON.stringify(job.argv),
            job.codeVersion,
          ],
        );
        const t = job.tasks;
        await tx.none(
          `INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, log_path)
           SELECT $1, u.i, $2, u.input, u.obs, u.attempt, u.log FROM unnest($3::int[], $4::text[], $5::text[], $6::int[], $7::text[])
               AS u(i, input, obs, attempt, log)`,
          [
            id,
            job.pipeline,
            t.map((x) => x.index),
            t.map((x) => x.input),
            t.map((x) => x.obs),
            t.map((x) => x.attempt),
            t.map((x) => x.logPath),
          ],
        );
        const claimed = await tx.result(
          `UPDATE observations SET state = 'active', retry_at = NULL, updated_at = now()
            WHERE pipeline = $1 AND input = ANY($2::text[]) AND state = 'pending'`,
          [job.pipeline, t.map((x) => x.input)],
        );
        if (claimed.rowCount !== t.length) {
          throw new NocturneError('INTERNAL', `job ${job.name}: ${t.length - claimed.rowCount} of its observations are no longer pending`);
        }
        return id;
      });
    });
  }

  async confirmJob(job: number, schedulerId: string): Promise<void> {
    return inDatabase(`${this.pipeline}: confirming job ${job}`, async () => {
      await this.db.none(
        `UPDATE jobs SET scheduler_id = $2, state = 'submitted', submitted_at = coalesce(submitted_at, now()) WHERE id = $1`,
        [job, schedulerId],
      );
    });
  }

  async rejectJob(job: number, error: string): Promise<void> {
    return inDatabase(`${this.pipeline}: recording the refusal of job ${job}`, async () => {
      await this.db.none(`UPDATE jobs SET state = 'rejected', error = $2, finished_at = now() WHERE id = $1`, [job, storableText(error)]);
    });
  }

  async markRunning(job: number, indices: readonly number[], schedulerState: string[], nodes: Array<string | null>): Promise<void> {
    return inDatabase(`${this.pipeline}: marking tasks of job ${job} running`, async () => {
      await this.db.none(
        `UPDATE job_tasks t SET state = 'running', scheduler_state = u.s, started_at = coalesce(started_at, now()),
                node = coalesce(u.node, t.node), wait_reason = NULL, waiting_since = NULL
           FROM unnest($2::int[], $3::text[], $4::text[]) AS u(i, s, node)
          WHERE t.job = $1 AND t.task_index = u.i AND t.state IN ('pending', 'running')`,
        [job, indices, schedulerState.map(storableText), nodes.map(storableOrNull)],
      );
    });
  }

  /** Why these tasks wait now (a task SLURM requeued is pending again). */
  async markWaiting(job: number, waits: ReadonlyArray<{ index: number; reason: string; since: Date }>): Promise<void> {
    return inDatabase(`${this.pipeline}: recording why tasks of job ${job} wait`, async () => {
      await this.db.none(
        `UPDATE job_tasks t SET state = 'pending', wait_reason = u.reason, waiting_since = u.since
           FROM unnest($2::int[], $3::text[], $4::timestamptz[]) AS u(i, reason, since)
          WHERE t.job = $1 AND t.task_index = u.i AND t.state IN ('pending', 'running')`,
        [job, waits.map((w) => w.index), waits.map((w) => storableText(w.reason)), waits.map((w) => w.since)],
      );
    });
  }

  /** Records (or, with null, withdraws) that nocturne asked SLURM to cancel these tasks; asked again, the first time stays. */
  async markCancelRequested(tasks: readonly TaskKeyRow[], at: Date | null): Promise<void> {
    if (tasks.length === 0) return;
    return inDatabase(`${this.pipeline}: recording the cancellation of ${tasks.length} tasks`, async () => {
      await this.db.none(
        `UPDATE job_tasks t SET cancel_requested_at = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE COALESCE(t.cancel_requested_at, $3) END
           FROM unnest($1::bigint[], $2::int[]) AS u(job, i)
          WHERE t.job = u.job AND t.task_index = u.i`,
        [tasks.map((t) => t.job), tasks.map((t) => t.index), at],
      );
    });
  }

  /** The outputs about to be moved into the outbox: a run killed while moving them finishes the move. */
  async markPublishing(tasks: ReadonlyArray<TaskKeyRow & { outputs: string[] }>): Promise<void> {
    if (tasks.length === 0) return;
    return inDatabase(`${this.pipeline}: recording the outputs of ${tasks.length} tasks`, async () => {
      await this.db.none(
        `UPDATE job_tasks t SET outputs = u.outputs::jsonb FROM unnest($1::bigint[], $2::int[], $3::text[]) AS u(job, i, outputs)
          WHERE t.job = u.job AND t.task_index = u.i`,
        [tasks.map((t) => t.job), tasks.map((t) => t.index), tasks.map((t) => storableNames(t.outputs))],
      );
    });
  }

  /**
   * The observation whose completed task last published a file named `name` into the
   * outbox, if one did: the nightly run's or a campaign's (`<pipeline>.c<id>`), which share it.
   */
  async publisherOf(name: string): Promise<string | null> {
    return inDatabase(`${this.pipeline}: looking up which observation published ${name}`, async () => {
      const row = await this.db.oneOrNone<{ obs: string }>(
        `SELECT obs FROM job_tasks WHERE (pipeline = $1 OR starts_with(pipeline, $1 || '.c')) AND state = 'completed' AND outputs ? $2
          ORDER BY finished_at DESC LIMIT 1`,
        [this.pipeline.replace(/\.c\d+$/, ''), name],
      );
      return row?.obs ?? null;
    });
  }

  /** Observations among `inputs` set aside after failing for good, with why. */
  async failedAmong(inputs: readonly string[]): Promise<Array<{ obs: string; error: string | null }>> {
    return inDatabase(`${this.pipeline}: reading the observations set aside`, async () => {
      return this.db.any(
        `SELECT obs, last_error AS error FROM observations WHERE pipeline = $1 AND input = ANY($2::text[]) AND state = 'failed'
          ORDER BY night, input`,
        [this.pipeline, inputs],
      );
    });
  }

  /** Records ended tasks and their observations in one transaction; finishes jobs left without live tasks. */
  async endTasks(ends: readonly TaskEnd[]): Promise<void> {
    if (ends.length === 0) return;
    const col = <T>(f: (e: TaskEnd) => T) => ends.map(f);
    return inDatabase(`${this.pipeline}: recording the end of ${ends.length} tasks`, async () => {
      await this.db.tx('run-end-tasks', async (tx) => {
        await tx.none(
          `UPDATE job_tasks t SET state = u.state, scheduler_state = u.ss, exit_code = u.code, signal = u.sig, reason = u.reason,
                  retryable = u.retryable, log_tail = u.tail, outputs = u.outputs::jsonb, left_files = u.leftover::jsonb,
                  node = coalesce(u.node, t.node), wait_reason = NULL, finished_at = now()
             FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::bool[], $9::text[], $10::text[], $11::text[], $12::text[])
               AS u(job, i, state, ss, code, sig, reason, retryable, tail, outputs, leftover, node)
            WHERE t.job = u.job AND t.task_index = u.i`,
          [
            col((e) => e.job),
            col((e) => e.index),
            col((e) => e.state),
            col((e) => storableOrNull(e.schedulerState)),
            col((e) => e.exitCode),
            col((e) => e.signal),
            col((e) => storableOrNull(e.reason)),
            col((e) => e.retryable),
            col((e) => storableOrNull(e.logTail)),
            col((e) => storableNames(e.outputs)),
            col((e) => storableNames(e.leftFiles)),
            col((e) => storableOrNull(e.node)),
          ],
        );
        await tx.none(
          `UPDATE observations o SET state = u.state, failures = u.failures, retry_at = u.retry_at,
                  last_error = coalesce(u.error, o.last_error), updated_at = now()
             FROM unnest($2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::text[]) AS u(input, state, failures, retry_at, error)
            WHERE o.pipeline = $1 AND o.input = u.input`,
          [
            this.pipeline,
            col((e) => e.input),
            col((e) => e.observation.state),
            col((e) => e.observation.failures),
            col((e) => e.observation.retryAt),
            col((e) => storableOrNull(e.reason)),
          ],
        );
        await tx.none(
          `UPDATE jobs j SET state = 'finished', finished_at = now()
            WHERE j.id = ANY($1::bigint[]) AND j.state IN ('submitting', 'submitted')
              AND NOT EXISTS (SELECT 1 FROM job_tasks t WHERE t.job = j.id AND t.state IN ('pending', 'running'))`,
          [[...new Set(col((e) => e.job))]],
        );
      });
    });
  }

  /** An observation whose input disappeared before it could be submitted. */
  async failObservation(input: string, error: string): Promise<void> {
    return inDatabase(`${this.pipeline}: setting aside observation ${input}`, async () => {
      await this.db.none(
        `UPDATE observations SET state = 'failed', last_error = $3, updated_at = now() WHERE pipeline = $1 AND input = $2`,
        [this.pipeline, input, storableText(error)],
      );
    });
  }
}

/** File names as a jsonb array (a NUL, escaped by JSON.stringify, is refused by jsonb all the same). */
function storableNames(names: readonly string[] | null): string | null {
  return names === null ? null : JSON.stringify(names.map(storableText));
}

/** A `date` column arrives as a JS Date at local midnight. */
function localDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
