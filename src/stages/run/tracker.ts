import { access, rm } from 'node:fs/promises';
import { coerceError, isAbortError, NocturneError } from '../../core/errors.js';
import { stagingDir } from '../../executors/job-files.js';
import { isHopelessPending, isTerminal, RUNNING_STATES } from '../../executors/states.js';
import type { Executor, TaskRef, TaskStatus, TrackedJob } from '../../executors/types.js';
import type { StageContext, StageOutcome } from '../types.js';
import { buildEnding, failedVerdict, judge, type EndRequest, type LiveTask } from './endings.js';
import { failureError, summarise, type RunStats } from './outcomes.js';
import { planJobs, writeJobFiles, type PlannedJob } from './plan.js';
import type { RunSettings } from './settings.js';
import type { JobRecord, PendingObservation, RunStore, TaskRecord } from './store.js';

interface LiveJob {
  record: JobRecord;
  tasks: Map<number, LiveTask>;
}

export interface TrackerOptions {
  ctx: StageContext;
  settings: RunSettings;
  executor: Executor;
  store: RunStore;
  stats: RunStats;
  random?: () => number;
  /** How long a task reported COMPLETED may lack its exit marker (shared filesystems lag). @default 15_000 */
  markerGraceMs?: number;
}

/**
 * Submits the pending observations, follows every live job of the pipeline (this run's
 * and those re-attached from earlier runs) with one poll per interval, records how each
 * task ended and retries what may succeed on another try.
 */
export class RunTracker {
  readonly #o: Required<TrackerOptions>;
  readonly #jobs = new Map<string, LiveJob>();
  #pending: PendingObservation[] = [];
  readonly #failures: string[] = [];
  /** A submission-level error (job refused, or never schedulable): submit nothing more. */
  #halt: NocturneError | null = null;
  /** Observations already lost once before starting, in this run: a second time counts. */
  readonly #lostUnstarted = new Set<string>();

  constructor(options: TrackerOptions) {
    this.#o = { random: Math.random, markerGraceMs: 15_000, ...options };
  }

  #now(): number {
    return this.#o.ctx.clock.now().getTime();
  }

  #live(record: JobRecord, tasks: readonly TaskRecord[], seenMs = this.#now()): void {
    const entries = tasks.map((t): [number, LiveTask] => [t.index, { ...t, lastSeenMs: seenMs, markerWaitSinceMs: null }]);
    this.#jobs.set(record.name, { record, tasks: new Map(entries) });
  }

  async load(): Promise<void> {
    for (const { tasks, ...record } of await this.#o.store.activeJobs()) {
      if (tasks.length === 0) continue;
      // A job never confirmed was last known at its submission: its LOST clock starts
      // then, not again at each restart (restarts in a row would keep it waiting forever).
      this.#live(record, tasks, record.schedulerId === null ? record.createdAt.getTime() : undefined);
      this.#o.ctx.logger.info({ job: record.name, schedulerId: record.schedulerId, tasks: tasks.length }, 're-attached job');
    }
    const repaired = await this.#o.store.repair();
    if (repaired > 0) this.#o.ctx.logger.warn({ repaired }, 'observations marked active without a live task are pending again');
    this.#pending = await this.#o.store.pending();
  }

  async run(): Promise<StageOutcome> {
    const { signal } = this.#o.ctx;
    let first = true;
    while (!signal.aborted) {
      if (!this.#halt) await this.#submitDue();
      if (this.#jobs.size === 0 && (this.#halt !== null || this.#pending.length === 0)) break;
      if (!first) {
        try {
          await this.#o.executor.idle(this.#waitMs(), signal);
        } catch (err) {
          if (isAbortError(err)) break;
          throw err;
        }
      }
      first = false;
      if (this.#jobs.size > 0) await this.#poll();
      this.#report();
    }
    return signal.aborted ? this.#stop() : this.#outcome();
  }

  /** Until the next poll, or the next retry if that comes first. */
  #waitMs(): number {
    const retries = this.#pending.map((o) => o.retryAt?.getTime() ?? 0);
    const untilRetry = retries.length === 0 ? Infinity : Math.max(0, Math.min(...retries) - this.#now());
    return this.#jobs.size === 0 ? untilRetry : Math.min(this.#o.settings.pollIntervalMs, untilRetry);
  }

  async #submitDue(): Promise<void> {
    const now = this.#now();
    const due = this.#pending.filter((o) => o.retryAt === null || o.retryAt.getTime() <= now);
    if (due.length === 0) return;
    this.#pending = this.#pending.filter((o) => !due.includes(o));
    const present: PendingObservation[] = [];
    for (const o of due) {
      if (await exists(o.input)) {
        present.push(o);
        continue;
      }
      const reason = `${this.#o.settings.pipeline}: observation ${o.obs}: input ${o.input} no longer exists`;
      await this.#o.store.failObservation(o.input, reason);
      this.#fail(reason);
    }
    for (const plan of planJobs(this.#o.settings, present, this.#o.ctx.date)) {
      if (this.#halt) break;
      await this.#submit(plan);
    }
  }

  async #submit(plan: PlannedJob): Promise<void> {
    const { ctx, executor, store, stats, settings } = this.#o;
    const { spec } = plan;
    await writeJobFiles(plan);
    const argv = executor.describe(spec);
    const isArray = spec.array !== undefined;
    const common = { token: plan.token, name: spec.name, executor: executor.kind, isArray, jobDir: spec.jobDir, scriptPath: spec.scriptPath };
    // The token is saved before submitting: whatever happens next, the job can be found.
    const id = await store.createJob({ ...common, pipeline: settings.pipeline, runId: ctx.runId || null, argv, tasks: plan.tasks });
    const record: JobRecord = { ...common, id, schedulerId: null, createdAt: new Date(this.#now()), taskCount: plan.tasks.length };
    this.#live(record, plan.tasks.map((t) => ({ ...t, state: 'pending' })));
    stats.jobs++;
    stats.submitted += plan.tasks.length;
    const log = ctx.logger.child({ job: spec.name });
    let schedulerId: string;
    try {
      schedulerId = await executor.submit(spec);
    } catch (err) {
      const error = coerceError(err, 'SLURM_SUBMIT_FAILED');
      if (error.details?.['maybeSubmitted'] === true) {
        log.warn({ err: error }, 'submission outcome unknown: the job will be looked up by name');
        return;
      }
      log.error({ err: error }, 'job refused');
      this.#halt = error;
      const verdict = failedVerdict(`was refused: ${error.message}`);
      const job = this.#jobs.get(spec.name);
      await this.#end([...(job?.tasks.values() ?? [])].map((task) => ({ job: record, task, verdict, state: 'failed', mode: 'uncounted' })));
      await store.rejectJob(id, error.message);
      return;
    }
    // Outside the try: a database error here must not pass for a refusal; the job row
    // stays 'submitting' and the job is found by name.
    record.schedulerId = schedulerId;
    await store.confirmJob(id, schedulerId);
    log.info({ schedulerId, tasks: plan.tasks.length, argv }, 'job submitted');
  }

  async #poll(): Promise<void> {
    const { executor, store, ctx, settings } = this.#o;
    let result;
    try {
      result = await executor.poll([...this.#jobs.values()].map(tracked));
    } catch (err) {
      ctx.logger.warn({ err: coerceError(err) }, 'poll failed; trying again at the next interval');
      return;
    }
    const now = this.#now();
    const seen = new Set<LiveTask>();
    const ends: EndRequest[] = [];
    const hopeless: TaskRef[] = [];
    const started = new Map<LiveJob, TaskStatus[]>();
    for (const status of result.statuses) {
      const job = this.#jobs.get(status.name);
      const task = job?.tasks.get(status.index);
      if (!job || !task) continue;
      seen.add(task);
      task.lastSeenMs = now;
      if (job.record.schedulerId === null) {
        job.record.schedulerId = status.schedulerId;
        await store.confirmJob(job.record.id, status.schedulerId);
        ctx.logger.info({ job: job.record.name, schedulerId: status.schedulerId }, 'found unconfirmed job by name');
      }
      if (isTerminal(status.state)) {
        const verdict = await judge(job.record, task, status, now, this.#o.settings, this.#o.markerGraceMs);
        if (verdict.kind === 'wait') continue;
        const state = verdict.kind === 'completed' ? 'completed' : 'failed';
        ends.push({ job: job.record, task, verdict, state, mode: 'normal', status });
      } else if (isHopelessPending(status.state, status.reason)) {
        hopeless.push({ job: tracked(job), index: task.index });
        const verdict = failedVerdict(`can never start: PENDING (${status.reason ?? ''}); cancelled`);
        ends.push({ job: job.record, task, verdict, state: 'failed', mode: 'uncounted', status });
      } else if (RUNNING_STATES.has(status.state) && task.state === 'pending') {
        task.state = 'running';
        started.set(job, [...(started.get(job) ?? []), status]);
      }
    }
    for (const [job, list] of started) {
      await store.markRunning(job.record.id, list.map((s) => s.index), list.map((s) => s.state));
    }
    if (result.complete) ends.push(...this.#lost(seen, now));
    if (hopeless.length > 0) {
      this.#halt ??= new NocturneError(
        'JOB_FAILED',
        `${settings.pipeline}: ${hopeless.length} task(s) can never start and were cancelled: check run.slurm in ${settings.file}`,
      );
      await executor.cancel(hopeless).catch((err: unknown) => ctx.logger.warn({ err: coerceError(err) }, 'cancel failed'));
    }
    await this.#end(ends);
  }

  /** Tasks a complete poll did not report, for longer than the executor allows. */
  #lost(seen: ReadonlySet<LiveTask>, now: number): EndRequest[] {
    const { executor } = this.#o;
    const lost: EndRequest[] = [];
    for (const job of this.#jobs.values()) {
      for (const task of job.tasks.values()) {
        if (seen.has(task) || now - task.lastSeenMs < executor.lostAfterMs) continue;
        const since = new Date(task.lastSeenMs).toISOString();
        const verdict = failedVerdict(`is unknown to the ${executor.kind} executor since ${since} (LOST)`, true);
        // A task lost before it ever ran (a submission that never reached SLURM, a local
        // queue that died with nocturne) is not held against its observation, once.
        const counted = task.state === 'running' || this.#lostUnstarted.has(task.input);
        if (!counted) this.#lostUnstarted.add(task.input);
        lost.push({ job: job.record, task, verdict, state: 'lost', mode: counted ? 'normal' : 'uncounted' });
      }
    }
    return lost;
  }

  /** Records endings in one transaction, requeues retries, and forgets the ended tasks. */
  async #end(requests: readonly EndRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const { settings, store, stats, ctx } = this.#o;
    const endings = [];
    for (const request of requests) endings.push(await buildEnding(request, settings, this.#now(), this.#o.random));
    await store.endTasks(endings.map((e) => e.end));
    for (const [i, ending] of endings.entries()) {
      const { job, task, state } = requests[i]!;
      if (state === 'lost') stats.lost++;
      if (ending.step === 'done') stats.completed++;
      if (ending.step === 'retry') stats.retried++;
      if (ending.failed) this.#fail(ending.reason ?? '');
      if (ending.requeue) this.#pending.push(ending.requeue);
      const level = ending.reason === null ? 'debug' : ending.failed ? 'error' : 'warn';
      ctx.logger[level]({ job: job.name, index: task.index, step: ending.step }, ending.reason ?? `${task.obs} completed`);
      const live = this.#jobs.get(job.name);
      live?.tasks.delete(task.index);
      if (live?.tasks.size === 0) this.#jobs.delete(job.name);
      await rm(stagingDir(settings.outbox, job.token, task.index), { recursive: true, force: true });
    }
  }

  #fail(reason: string): void {
    this.#o.stats.failed++;
    this.#failures.push(reason);
  }

  #report(): void {
    let pending = this.#pending.length;
    let running = 0;
    for (const job of this.#jobs.values()) {
      for (const task of job.tasks.values()) {
        if (task.state === 'running') running++;
        else pending++;
      }
    }
    const { completed, failed } = this.#o.stats;
    this.#o.ctx.progress.update({ pending, running, done: completed, failed });
  }

  /** Shutdown: SLURM jobs keep running for the next run. Stage timeout: everything is cancelled. */
  async #stop(): Promise<StageOutcome> {
    const { ctx, executor, settings, stats } = this.#o;
    const reason: unknown = ctx.signal.reason;
    const live = [...this.#jobs.values()].flatMap((job) => [...job.tasks.values()].map((task) => ({ job, task })));
    let error: NocturneError;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      await executor
        .cancel(live.map(({ job, task }) => ({ job: tracked(job), index: task.index })))
        .catch((err: unknown) => ctx.logger.error({ err: coerceError(err) }, 'cancel at the stage timeout failed'));
      const verdict = failedVerdict('was cancelled at the stage timeout', settings.retryTimeout);
      await this.#end(live.map(({ job, task }) => ({ job: job.record, task, verdict, state: 'failed', mode: 'final' })));
      error = new NocturneError('TIMEOUT', `${settings.pipeline}/run reached its stage timeout; ${live.length} task(s) cancelled`);
    } else {
      const stopped = new Set((await executor.abandon()).map((k) => `${k.name}\0${k.index}`));
      const killed = live.filter(({ job, task }) => stopped.has(`${job.record.name}\0${task.index}`));
      const verdict = failedVerdict('was stopped by a shutdown', true);
      await this.#end(killed.map(({ job, task }) => ({ job: job.record, task, verdict, state: 'interrupted', mode: 'uncounted' })));
      const left = live.length - killed.length;
      error = new NocturneError('ABORTED', `${settings.pipeline}/run stopped by shutdown; ${left} task(s) left running for the next run`);
    }
    return { ok: false, stats: { ...stats }, summary: `${error.message}; ${summarise(stats, this.#failures)}`, error };
  }

  #outcome(): StageOutcome {
    const { stats } = this.#o;
    const error = this.#halt ?? failureError(this.#failures);
    return { ok: error === undefined, stats: { ...stats }, summary: summarise(stats, this.#failures), ...(error ? { error } : {}) };
  }
}

function tracked(job: LiveJob): TrackedJob {
  const r = job.record;
  const live = [...job.tasks.keys()];
  return { name: r.name, schedulerId: r.schedulerId, jobDir: r.jobDir, isArray: r.isArray, taskCount: r.taskCount, live, createdAt: r.createdAt };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
