/**
 * An executor runs the generated batch script of a job (see job-files.ts) once per task
 * and reports what the scheduler knows about each task. It does not interpret outcomes:
 * the run stage classifies them, with the task's exit marker as second evidence.
 *
 * Terms: a *job* is one submission (one sbatch call): a job array of N tasks, or a single
 * job of one task. A *task* runs one observation. Jobs are identified by their name, which
 * carries a token saved in PostgreSQL before submitting, so they can be found again.
 */

export type ExecutorKind = 'slurm' | 'local';

/** SLURM resources of every task of a job. */
export interface JobResources {
  partition?: string | undefined;
  account?: string | undefined;
  /** SLURM time limit, e.g. "30" (minutes) or "01:00:00". */
  time: string;
  /** SLURM memory per node, e.g. "512M". */
  mem: string;
  cpus: number;
  /** sbatch --nice: a lower priority than the nightly runs' jobs (reprocessing campaigns). */
  nice?: number | undefined;
  /** sbatch --qos (reprocessing campaigns, when the cluster has a QOS for them). */
  qos?: string | undefined;
}

/** Everything needed to submit one job. */
export interface JobSpec {
  /** Job name, `noc-<pipeline>-<token>`: how the job is found again after a restart. */
  readonly name: string;
  /** Directory with the generated script, per-task argument files and exit markers. */
  readonly jobDir: string;
  /** Absolute path of the generated batch script. */
  readonly scriptPath: string;
  /** Log file of each task; `%a` stands for the task index (as in sbatch --output). */
  readonly logPattern: string;
  /** Number of tasks; their indices are 0..taskCount-1. */
  readonly taskCount: number;
  /** Submit as a job array with at most `throttle` tasks at once; otherwise a single job (taskCount 1). */
  readonly array?: { throttle: number } | undefined;
  readonly resources: JobResources;
}

/** A submitted (or possibly submitted) job the stage is waiting for. */
export interface TrackedJob {
  readonly name: string;
  /** The scheduler's id; null while the submission is not confirmed. */
  readonly schedulerId: string | null;
  readonly jobDir: string;
  readonly isArray: boolean;
  readonly taskCount: number;
  /** Indices of the tasks still awaited (the others have ended). */
  readonly live: readonly number[];
  /** When the job row was written (before submitting): the earliest it can exist. */
  readonly createdAt: Date;
}

/** What the scheduler says about one task, at one poll. */
export interface TaskStatus {
  readonly name: string;
  /** The job's scheduler id (array id for array tasks). */
  readonly schedulerId: string;
  readonly index: number;
  /** Normalised SLURM state: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ... */
  readonly state: string;
  /** SLURM's reason (why pending, why failed), or null. */
  readonly reason: string | null;
  readonly exitCode: number | null;
  readonly signal: number | null;
  /** Who cancelled it, as sacct says (`CANCELLED by 1234`): a uid; null when not said. */
  readonly cancelledBy?: number | null;
  /** The node it runs or ran on (SLURM NodeList; the local executor: this host); null while it waits. */
  readonly node?: string | null;
}

export interface PollResult {
  readonly statuses: readonly TaskStatus[];
  /**
   * True when every source answered. A task missing from a complete answer is unknown to
   * the scheduler (and becomes LOST in time); after a failed query nothing can be inferred.
   */
  readonly complete: boolean;
}

export interface TaskRef {
  readonly job: TrackedJob;
  readonly index: number;
}

/** A task named without its job's details. */
export interface TaskKey {
  readonly name: string;
  readonly index: number;
}

export interface Executor {
  readonly kind: ExecutorKind;
  /** A task that a complete poll does not know for this long is LOST (0: at once). */
  readonly lostAfterMs: number;
  /** The argv that submit() runs, for --dry-run and the jobs table. */
  describe(job: JobSpec): string[];
  /**
   * Returns the scheduler id, or throws SLURM_SUBMIT_FAILED; `details.maybeSubmitted`
   * says the job may exist all the same (to be looked up by name), `details.unreachable`
   * that the scheduler could not be reached (an outage: no job), `retryable` that a later
   * submission may succeed. The signal stops the client command at once.
   */
  submit(job: JobSpec, signal?: AbortSignal): Promise<string>;
  /** One query for all jobs, however many. */
  poll(jobs: readonly TrackedJob[], signal?: AbortSignal): Promise<PollResult>;
  /**
   * Asks the scheduler to end these tasks; resolves once it has accepted (tasks already
   * ended count as accepted), rejects when it could not be asked.
   */
  cancel(tasks: readonly TaskRef[], signal?: AbortSignal): Promise<void>;
  /**
   * The most tasks one job array may have here (SLURM: MaxArraySize; 0 when arrays are
   * disabled), or null when the scheduler sets no limit or could not say.
   */
  maxArrayTasks(signal?: AbortSignal): Promise<number | null>;
  /** The most memory the task used, in bytes, when the scheduler measured it (SLURM: MaxRSS); else null. */
  peakMemory(task: TaskRef, signal?: AbortSignal): Promise<number | null>;
  /** Waits up to `ms` before the next poll (an executor may end the wait early on news). */
  idle(ms: number, signal: AbortSignal): Promise<void>;
  /**
   * On shutdown: tasks that cannot outlive this process are stopped and returned, so
   * they can be retried. SLURM jobs outlive it and are re-attached next time: none.
   */
  abandon(): Promise<TaskKey[]>;
}
