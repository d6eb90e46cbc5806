import { access, rm } from 'node:fs/promises';
import { coerceError, isAbortError, NocturneError } from '../../core/errors.js';
import { taskDir } from '../../executors/job-files.js';
import { isHopelessPending, isTerminal, RUNNING_STATES } from '../../executors/states.js';
import type { Executor, TaskStatus } from '../../executors/types.js';
import { openGate, type SubmissionGate } from '../../fair-share/gate.js';
import type { StageContext, StageOutcome } from '../types.js';
import { buildEnding, describeTask, judge, outboxTaken, type EndRequest, type LiveTask } from './endings.js';
import { liveEntries, lostRequests, tracked, type LiveEntry, type LiveJob } from './live-jobs.js';
import { jobDirStrays, leftMessage, strayMessage } from './left-files.js';
import { failureError, summarise, timeoutError, type RunStats } from './outcomes.js';
import { arrayLimit, newToken, planJobs, writeJobFiles, type PlannedJob } from './plan.js';
import { publishOutputs } from './publish.js';
import type { RunSettings } from './settings.js';
import type { JobRecord, PendingObservation, JobLedger, TaskRecord } from './job-ledger.js';
import { WaitWatch } from './waiting.js';

export interface JobTrackerOptions {
  ctx: StageContext;
  settings: RunSettings;
  executor: Executor;
  ledger: JobLedger;
  stats: RunStats;
  /** Observations of the run's nights that earlier runs set aside as failed. */
  setAside: ReadonlyArray<{ obs: string; error: string | null }>;
  random?: () => number;
  /** How long second evidence (exit marker, listed outputs, who cancelled) may lag behind SLURM's end. @default 15_000 */
  markerGraceMs?: number;
  /** How long the stage timeout may spend cancelling and seeing SLURM confirm it. @default 15_000 */
  stopBudgetMs?: number;
  /** How much of the due work may be submitted now (fair share, submission caps). @default everything */
  gate?: SubmissionGate;
}

/**
 * Submits the pending observations, follows every live job of the pipeline (this run's
 * and those re-attached from earlier runs) with one poll per interval, records how each
 * task ended and retries what may succeed on another try.
 */
export class JobTracker {
  readonly #options: Required<JobTrackerOptions>;
  readonly #jobs = new Map<string, LiveJob>();
  #pending: PendingObservation[] = [];
  readonly #failures: string[] = [];
  /** A submission-level error (job refused, SLURM unreachable, a job that can never start): submit nothing more. */
  #halt: NocturneError | null = null;
  /** Observations already lost once before starting, in this run: a second time counts. */
  readonly #lostUnstarted = new Set<string>();
  readonly #waits: WaitWatch;
  /** Due observations the gate held back: they are offered again at the next poll, not at once. */
  #held = false;

  constructor(options: JobTrackerOptions) {
    this.#options = { random: Math.random, markerGraceMs: 15_000, stopBudgetMs: 15_000, gate: openGate, ...options };
    this.#waits = new WaitWatch(options.settings.pipeline, options.settings.waitWarningMs);
  }

  #now(): number {
    return this.#options.ctx.clock.now().getTime();
  }

  #live(record: JobRecord, tasks: readonly TaskRecord[], seenMs: (task: TaskRecord) => number = () => this.#now()): void {
    const entries = tasks.map((t): [number, LiveTask] => [
      t.index,
      { ...t, lastSeenMs: seenMs(t), evidenceWaitSinceMs: null, cancelCause: null, waitWarned: false },
    ]);
    this.#jobs.set(record.name, { record, tasks: new Map(entries) });
  }

  #entries(): LiveEntry[] {
    return liveEntries(this.#jobs.values());
  }

  async load(): Promise<void> {
    for (const { tasks, ...record } of await this.#options.ledger.activeJobs()) {
      if (tasks.length === 0) continue;
      // A job never confirmed was last known at its submission, and a task nocturne asked
      // SLURM to cancel at the request: their LOST clock starts then, not again at each
      // run. Restarts in a row, or runs shorter than lostAfter, would keep them followed
      // forever: a pending array task cancelled before SLURM split it off never reaches
      // the accounting, and squeue forgets it.
      const now = this.#now();
      this.#live(record, tasks, (task) =>
        record.schedulerId === null ? record.createdAt.getTime() : Math.min(now, task.cancelRequestedAt?.getTime() ?? now),
      );
      this.#options.ctx.logger.info({ job: record.name, schedulerId: record.schedulerId, tasks: tasks.length }, 're-attached job');
    }
    const repaired = await this.#options.ledger.repair();
    if (repaired > 0) this.#options.ctx.logger.warn({ repaired }, 'observations marked active without a live task are pending again');
    this.#pending = await this.#options.ledger.pending();
  }

  async run(): Promise<StageOutcome> {
    const { signal } = this.#options.ctx;
    let first = true;
    while (!signal.aborted) {
      if (!this.#halt) await this.#submitDue();
      if (this.#jobs.size === 0 && (this.#halt !== null || this.#pending.length === 0)) break;
      if (!first) {
        try {
          await this.#options.executor.idle(this.#waitMs(), signal);
        } catch (err) {
          if (isAbortError(err)) break;
          throw err;
        }
      }
      first = false;
      if (this.#jobs.size > 0) await this.#poll(signal);
      this.#report();
    }
    const outcome = signal.aborted ? await this.#stop() : this.#outcome();
    // A row left behind is ignored after a minute: a failure here costs nothing but a warning.
    await this.#options.gate
      .close()
      .catch((err: unknown) => this.#options.ctx.logger.warn({ err: coerceError(err) }, 'clearing the fair-share demand failed'));
    return outcome;
  }

  /** Until the next poll, or the next retry if that comes first. */
  #waitMs(): number {
    const retries = this.#pending.map((o) => o.retryAt?.getTime() ?? 0);
    const untilRetry = this.#held
      ? this.#options.settings.pollIntervalMs
      : retries.length === 0
        ? Infinity
        : Math.max(0, Math.min(...retries) - this.#now());
    return this.#jobs.size === 0 ? untilRetry : Math.min(this.#options.settings.pollIntervalMs, untilRetry);
  }

  /**
   * Submits what is due. Retries are jittered one by one: once one is due, those due
   * within the next poll interval go with it, so a handful of retries make one array.
   */
  async #submitDue(): Promise<void> {
    const now = this.#now();
    if (!this.#pending.some((o) => o.retryAt === null || o.retryAt.getTime() <= now)) return;
    const horizon = now + this.#options.settings.pollIntervalMs;
    const due = this.#pending.filter((o) => o.retryAt === null || o.retryAt.getTime() <= horizon);
    this.#pending = this.#pending.filter((o) => !due.includes(o));
    const present: PendingObservation[] = [];
    for (const o of due) {
      if (await exists(o.input)) {
        present.push(o);
        continue;
      }
      const reason = `${this.#options.settings.pipeline}: observation ${o.obs}: its input ${o.input} no longer exists; set aside`;
      await this.#options.ledger.failObservation(o.input, reason);
      this.#fail(reason);
    }
    const admitted = await this.#options.gate.admit(present.length);
    this.#held = admitted < present.length;
    this.#pending.push(...present.slice(admitted));
    const { settings, executor, ctx } = this.#options;
    // The executor reads its limit once (SLURM's MaxArraySize), at the first submission of arrays.
    const maxArray = settings.array ? await arrayLimit(executor, ctx.signal) : undefined;
    for (const plan of planJobs(settings, present.slice(0, admitted), ctx.date, newToken, maxArray)) {
      if (this.#halt) break; // the rest stay pending in the database, for the next run
      await this.#submit(plan);
    }
  }

  async #submit(plan: PlannedJob): Promise<void> {
    const { ctx, executor, ledger, stats, settings } = this.#options;
    const { spec } = plan;
    await writeJobFiles(plan);
    const argv = executor.describe(spec);
    const isArray = spec.array !== undefined;
    const common = {
      token: plan.token,
      name: spec.name,
      executor: executor.kind,
      isArray,
      jobDir: spec.jobDir,
      scriptPath: spec.scriptPath,
    };
    // The token is saved before submitting: whatever happens next, the job can be found.
    const codeVersion = ctx.pipeline.config.code.version;
    const id = await ledger.createJob({
      ...common,
      pipeline: settings.pipeline,
      runId: ctx.runId || null,
      argv,
      codeVersion,
      tasks: plan.tasks,
    });
    const record: JobRecord = { ...common, id, schedulerId: null, createdAt: new Date(this.#now()), taskCount: plan.tasks.length };
    this.#live(
      record,
      plan.tasks.map((t) => ({ ...t, state: 'pending' })),
    );
    stats.jobs++;
    stats.submitted += plan.tasks.length;
    const log = ctx.logger.child({ job: spec.name });
    let schedulerId: string;
    try {
      schedulerId = await executor.submit(spec, ctx.signal);
    } catch (err) {
      const error = coerceError(err, 'SLURM_SUBMIT_FAILED');
      if (error.details?.['maybeSubmitted'] === true) {
        log.warn({ err: error }, 'submission outcome unknown: the job will be looked up by name');
        return;
      }
      // Not the observations' fault: they wait for the next run, counted as nothing.
      stats.jobs--;
      stats.submitted -= plan.tasks.length;
      const unreachable = error.details?.['unreachable'] === true;
      const n = plan.tasks.length;
      const what = unreachable
        ? `SLURM controller unreachable: ${n} observation(s) not submitted, pending again for the next run`
        : `job refused by sbatch: ${n} observation(s) not submitted, pending again: check run.slurm in ${settings.file}`;
      log.error({ err: error }, `${settings.pipeline}: ${what}`);
      this.#halt = new NocturneError('SLURM_SUBMIT_FAILED', `${settings.pipeline}/run: ${what} (${error.message})`, {
        retryable: error.retryable,
        cause: error,
      });
      const verdict = { kind: 'interrupted' as const, reason: `not submitted: ${error.message}` };
      const job = this.#jobs.get(spec.name);
      await this.#end(
        [...(job?.tasks.values() ?? [])].map((task) => ({ job: record, task, verdict, state: 'interrupted', mode: 'uncounted' })),
      );
      await ledger.rejectJob(id, error.message);
      return;
    }
    // Outside the try: a database error here must not pass for a refusal; the job row
    // stays 'submitting' and the job is found by name.
    record.schedulerId = schedulerId;
    await ledger.confirmJob(id, schedulerId);
    log.info({ schedulerId, tasks: plan.tasks.length, argv }, 'job submitted');
  }

  async #poll(signal: AbortSignal): Promise<void> {
    const { executor, ledger, ctx, settings } = this.#options;
    let result;
    try {
      result = await executor.poll([...this.#jobs.values()].map(tracked), signal);
    } catch (err) {
      if (!isAbortError(err)) ctx.logger.warn({ err: coerceError(err) }, 'poll failed; trying again at the next interval');
      return;
    }
    const now = this.#now();
    const seen = new Set<LiveTask>();
    const ends: EndRequest[] = [];
    const hopeless: LiveEntry[] = [];
    const started = new Map<LiveJob, TaskStatus[]>();
    for (const status of result.statuses) {
      const job = this.#jobs.get(status.name);
      const task = job?.tasks.get(status.index);
      if (!job || !task) continue;
      seen.add(task);
      task.lastSeenMs = now;
      if (job.record.schedulerId === null) {
        job.record.schedulerId = status.schedulerId;
        await ledger.confirmJob(job.record.id, status.schedulerId);
        ctx.logger.info({ job: job.record.name, schedulerId: status.schedulerId }, 'found unconfirmed job by name');
      }
      if (isTerminal(status.state)) {
        const judged = await judge(job.record, tracked(job), task, status, {
          settings,
          executor,
          now,
          graceMs: this.#options.markerGraceMs,
          signal,
        });
        const { verdict } = judged;
        if (verdict.kind === 'wait') continue;
        const state = verdict.kind === 'completed' ? 'completed' : verdict.kind === 'interrupted' ? 'interrupted' : 'failed';
        ends.push({
          job: job.record,
          task,
          verdict,
          state,
          mode: 'normal',
          status,
          marker: judged.marker,
          ...(judged.logTail === undefined ? {} : { logTail: judged.logTail }),
        });
      } else if (RUNNING_STATES.has(status.state)) {
        if (task.state === 'pending') {
          task.state = 'running';
          task.waitReason = null;
          started.set(job, [...(started.get(job) ?? []), status]);
        }
      } else {
        this.#waits.see(job.record, task, status.reason, now);
        if (task.cancelCause === null && isHopelessPending(status.state, status.reason)) hopeless.push({ job, task });
      }
    }
    for (const [job, list] of started) {
      await ledger.markRunning(
        job.record.id,
        list.map((s) => s.index),
        list.map((s) => s.state),
        list.map((s) => s.node ?? null),
      );
    }
    for (const [job, waits] of this.#waits.takeChanges()) await ledger.markWaiting(job.id, waits);
    this.#waits.flush(ctx.logger, now);
    if (result.complete) ends.push(...(await this.#lost(seen, now, signal)));
    if (hopeless.length > 0) {
      const reason = hopeless[0]!.task.waitReason ?? '';
      this.#halt ??= new NocturneError(
        'JOB_FAILED',
        `${settings.pipeline}: ${hopeless.length} task(s) can never start (${reason}) and are cancelled: check run.slurm in ${settings.file}`,
      );
      await this.#requestCancel(hopeless, `because it can never start (${reason})`, signal);
    }
    await this.#end(ends);
  }

  /**
   * Asks SLURM to cancel these tasks, recording the request first: a CANCELLED end that
   * follows is then known as nocturne's doing, by this run or the next. The tasks stay
   * followed until SLURM says they ended. Returns the error if SLURM could not be asked.
   */
  async #requestCancel(entries: readonly LiveEntry[], cause: string, signal: AbortSignal): Promise<NocturneError | null> {
    const { ledger, executor, ctx } = this.#options;
    const keys = entries.map(({ job, task }) => ({ job: job.record.id, index: task.index }));
    await ledger.markCancelRequested(keys, new Date(this.#now()));
    try {
      await executor.cancel(
        entries.map(({ job, task }) => ({ job: tracked(job), index: task.index })),
        signal,
      );
    } catch (err) {
      const error = coerceError(err);
      await ledger.markCancelRequested(keys, null);
      ctx.logger.error(
        { err: error },
        `${this.#options.settings.pipeline}: cancelling ${entries.length} task(s) ${cause} failed: they stay followed`,
      );
      return error;
    }
    for (const { task } of entries) task.cancelCause = cause;
    return null;
  }

  /**
   * Tasks a complete poll did not report, for longer than the executor allows. A job never
   * confirmed may still reach SLURM (an sbatch left running by a killed nocturne): it is
   * cancelled first, or it would run beside the resubmission. Failing that, none is LOST yet.
   */
  async #lost(seen: ReadonlySet<LiveTask>, now: number, signal: AbortSignal): Promise<EndRequest[]> {
    // Marked in a copy, kept only if these tasks are declared LOST now.
    const lostUnstarted = new Set(this.#lostUnstarted);
    const lost = lostRequests(this.#jobs.values(), seen, now, this.#options.executor, lostUnstarted);
    const unconfirmed = lost
      .filter((r) => r.job.schedulerId === null)
      .map((r) => ({ job: tracked(this.#jobs.get(r.job.name)!), index: r.task.index }));
    const refused =
      unconfirmed.length === 0 ? null : await this.#options.executor.cancel(unconfirmed, signal).then(() => null, coerceError);
    if (refused) {
      this.#options.ctx.logger.warn(
        { err: refused },
        `${this.#options.settings.pipeline}: cancelling ${unconfirmed.length} unconfirmed task(s) before they are LOST failed: trying again at the next poll`,
      );
      return [];
    }
    for (const input of lostUnstarted) this.#lostUnstarted.add(input);
    return lost;
  }

  /**
   * Records endings: the outputs of completed tasks are recorded, moved into the outbox,
   * then every end is recorded in one transaction; retries are requeued and the ended
   * tasks forgotten. A run killed in between finds the tasks live, and ends them again.
   */
  async #end(requests: readonly EndRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const { settings, ledger, stats, ctx } = this.#options;
    const endings = [];
    for (const request of requests) endings.push(await buildEnding(request, settings, this.#now(), this.#options.random));
    const publishing = endings.flatMap((e) => (e.publish ? [{ job: e.end.job, index: e.end.index, outputs: e.publish.files }] : []));
    await ledger.markPublishing(publishing);
    // What this batch published, by name: a later task of it whose output has the same name is refused.
    const published = new Map<string, string>();
    for (const [i, { publish }] of endings.entries()) {
      if (!publish) continue;
      const request = requests[i]!;
      const { obs } = request.task;
      // This observation's earlier output (the code run again) is replaced; another's, or one of unknown origin, is not.
      const mayReplace = async (name: string) => (published.get(name) ?? (await ledger.publisherOf(name))) === obs;
      const taken = await publishOutputs(publish.fromDir, settings.outbox, publish.files, mayReplace);
      if (taken === null) {
        for (const name of publish.files) published.set(name, request.task.obs);
        continue;
      }
      const verdict = outboxTaken(settings.outbox, taken, published.get(taken) ?? (await ledger.publisherOf(taken)));
      endings[i] = await buildEnding({ ...request, verdict, state: 'failed' }, settings, this.#now(), this.#options.random);
    }
    await ledger.endTasks(endings.map((e) => e.end));
    const finished: LiveJob[] = [];
    for (const [i, ending] of endings.entries()) {
      const { job, task, state } = requests[i]!;
      if (state === 'lost') stats.lost++;
      if (state === 'interrupted') stats.interrupted++;
      if (ending.step === 'done') stats.completed++;
      if (ending.step === 'retry') stats.retried++;
      if (ending.failed) this.#fail(ending.reason ?? '');
      if (ending.requeue) this.#pending.push(ending.requeue);
      const level = ending.reason === null ? 'debug' : ending.failed ? 'error' : 'warn';
      ctx.logger[level]({ job: job.name, index: task.index, step: ending.step }, ending.reason ?? `${task.obs} completed`);
      const left = ending.end.leftFiles ?? [];
      if (left.length > 0) {
        stats.leftFiles += left.length;
        ctx.logger.warn(
          { job: job.name, index: task.index, left },
          leftMessage(describeTask(settings.pipeline, job, task), taskDir(job.jobDir, task.index), left),
        );
      }
      if (ending.removeDir) await rm(taskDir(job.jobDir, task.index), { recursive: true, force: true });
      const live = this.#jobs.get(job.name);
      live?.tasks.delete(task.index);
      if (live?.tasks.size === 0) {
        this.#jobs.delete(job.name);
        finished.push(live);
      }
    }
    for (const job of finished) await this.#reportStrays(job.record);
  }

  /** Files a task wrote above its own directory land in the job directory: reported with the job. */
  async #reportStrays(job: JobRecord): Promise<void> {
    const strays = await jobDirStrays(job.jobDir);
    if (strays.length === 0) return;
    this.#options.stats.leftFiles += strays.length;
    this.#options.ctx.logger.warn({ job: job.name, left: strays }, strayMessage(this.#options.settings.pipeline, job, strays));
  }

  #fail(reason: string): void {
    this.#options.stats.failed++;
    this.#failures.push(reason);
  }

  #report(): void {
    let pending = this.#pending.length;
    let running = 0;
    for (const { task } of this.#entries()) {
      if (task.state === 'running') running++;
      else pending++;
    }
    const { completed, failed } = this.#options.stats;
    this.#options.ctx.progress.update({ pending, running, done: completed, failed });
  }

  /**
   * Shutdown: SLURM jobs keep running for the next run. Stage timeout: every live task is
   * cancelled, and followed until SLURM confirms, within a budget; their observations are
   * pending again, for the next run (a task nocturne stopped has not failed). A task whose
   * cancellation SLURM has not confirmed stays followed, with its directory, by the next run.
   */
  async #stop(): Promise<StageOutcome> {
    const { ctx, executor, settings, stats } = this.#options;
    const reason: unknown = ctx.signal.reason;
    const live = this.#entries();
    let error: NocturneError;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      const deadline = this.#now() + this.#options.stopBudgetMs;
      const budget = () => AbortSignal.timeout(Math.max(1, deadline - this.#now()));
      const before = stats.interrupted;
      const refused = live.length === 0 ? null : await this.#requestCancel(live, `at the stage timeout (${settings.timeout})`, budget());
      while (!refused && live.some(({ job, task }) => job.tasks.get(task.index) === task) && this.#now() < deadline) {
        await executor.idle(Math.min(1_000, settings.pollIntervalMs), budget()).catch(() => undefined);
        await this.#poll(budget());
      }
      error = timeoutError({
        pipeline: settings.pipeline,
        timeout: settings.timeout,
        scheduler: executor.kind === 'slurm' ? 'SLURM' : 'the executor',
        tasks: live.length,
        cancelled: stats.interrupted - before,
        unconfirmed: live.filter(({ job, task }) => job.tasks.get(task.index) === task).length,
        refused,
      });
    } else {
      const stopped = new Set((await executor.abandon()).map((k) => `${k.name}\0${k.index}`));
      const killed = live.filter(({ job, task }) => stopped.has(`${job.record.name}\0${task.index}`));
      const verdict = { kind: 'interrupted' as const, reason: 'stopped by a shutdown of nocturne' };
      await this.#end(killed.map(({ job, task }) => ({ job: job.record, task, verdict, state: 'interrupted', mode: 'uncounted' })));
      const left = live.length - killed.length;
      error = new NocturneError('ABORTED', `${settings.pipeline}/run stopped by shutdown; ${left} task(s) left running for the next run`);
    }
    return { ok: false, stats: { ...stats }, summary: `${error.message}; ${summarise(stats)}`, error };
  }

  #outcome(): StageOutcome {
    const { stats } = this.#options;
    const error = this.#halt ?? failureError(this.#failures, this.#options.setAside);
    return { ok: error === undefined, stats: { ...stats }, summary: summarise(stats), ...(error ? { error } : {}) };
  }
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
