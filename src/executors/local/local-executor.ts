import path from 'node:path';
import { constants, hostname } from 'node:os';
import { sleep } from '../../core/abort.js';
import { jobEnvironment, readExitMarker, SCRIPT_NAME, taskLogPath, type ExitMarker } from '../job-files.js';
import type { Executor, JobSpec, PollResult, TaskKey, TaskRef, TaskStatus, TrackedJob } from '../types.js';
import type { ExitStatus, LaunchedProcess, Launcher, ProcessTable } from './processes.js';

export interface LocalExecutorOptions {
  /** Tasks running at once (executor.local.concurrency). */
  concurrency: number;
  launcher: Launcher;
  processes: ProcessTable;
  readMarker?: (jobDir: string, index: number) => Promise<ExitMarker | null>;
  env?: NodeJS.ProcessEnv;
  /** How long a killed task gets between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
}

interface Queued {
  job: JobSpec;
  index: number;
}

const key = (jobDir: string, index: number) => `${jobDir}\0${index}`;

/**
 * Runs the generated script of each task as a child process on this machine, at most
 * `concurrency` at once. Tasks lead their own process group: a nocturne killed with -9
 * leaves them running, and the next one finds them in the process table by their argv
 * (script, job directory, index), as sacct finds SLURM jobs by name, and waits for their
 * exit markers instead of running them again.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  /** The process table is exact: a task that is neither queued, running nor marked is gone. */
  readonly lostAfterMs = 0;
  readonly #options: Required<Omit<LocalExecutorOptions, 'env'>> & { env: NodeJS.ProcessEnv };
  readonly #queue: Queued[] = [];
  readonly #queued = new Set<string>();
  readonly #running = new Map<string, { pid: number; name: string; jobDir: string; index: number }>();
  readonly #exited = new Map<string, ExitStatus & { cancelled: boolean; reason: string | null }>();
  readonly #cancelled = new Set<string>();
  #wake: (() => void) | undefined;

  constructor(options: LocalExecutorOptions) {
    this.#options = { readMarker: readExitMarker, killGraceMs: 2_000, ...options, env: jobEnvironment(options.env) };
  }

  describe(job: JobSpec): string[] {
    return ['bash', job.scriptPath, job.jobDir, job.array ? `0..${job.taskCount - 1}` : '0'];
  }

  async submit(job: JobSpec): Promise<string> {
    for (let index = 0; index < job.taskCount; index++) {
      this.#queue.push({ job, index });
      this.#queued.add(key(job.jobDir, index));
    }
    this.#pump();
    return 'local';
  }

  async poll(jobs: readonly TrackedJob[]): Promise<PollResult> {
    const orphans = await this.#orphans();
    const statuses: TaskStatus[] = [];
    for (const job of jobs) {
      for (const index of job.live) {
        const status = await this.#status(job, index, orphans);
        if (status) statuses.push({ name: job.name, schedulerId: 'local', index, ...status });
      }
    }
    return { statuses, complete: true };
  }

  async cancel(tasks: readonly TaskRef[]): Promise<void> {
    const orphans = await this.#orphans();
    await Promise.all(
      tasks.map(({ job, index }) => {
        const k = key(job.jobDir, index);
        return this.#stop(job.jobDir, index, this.#running.get(k)?.pid ?? orphans.get(k));
      }),
    );
  }

  /** A local job runs its tasks from a list: any number. */
  async maxArrayTasks(): Promise<number | null> {
    return null;
  }

  /** Local tasks are not measured. */
  async peakMemory(): Promise<number | null> {
    return null;
  }

  /** Wakes early when a child exits, so a local run ends as soon as its last task does. */
  async idle(ms: number, signal: AbortSignal): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.#wake = resolve));
    const local = new AbortController();
    const both = AbortSignal.any([signal, local.signal]);
    try {
      await Promise.race([sleep(ms, both), woken]);
    } finally {
      local.abort();
      this.#wake = undefined;
    }
  }

  /** Children do not outlive a graceful stop: they are killed, to be retried next time. */
  async abandon(): Promise<TaskKey[]> {
    this.#queued.clear();
    const stopped: TaskKey[] = this.#queue.splice(0).map(({ job, index }) => ({ name: job.name, index }));
    const running = [...this.#running.values()];
    for (const r of running) stopped.push({ name: r.name, index: r.index });
    await Promise.all(running.map((r) => this.#stop(r.jobDir, r.index, r.pid)));
    return stopped;
  }

  async #status(
    job: TrackedJob,
    index: number,
    orphans: Map<string, number>,
  ): Promise<Omit<TaskStatus, 'name' | 'schedulerId' | 'index'> | null> {
    const k = key(job.jobDir, index);
    const none = { reason: null, exitCode: null, signal: null };
    if (this.#queued.has(k)) return { state: 'PENDING', ...none };
    // Every task that left the queue ran here.
    const node = hostname();
    if (this.#running.has(k) || orphans.has(k)) return { state: 'RUNNING', ...none, node };
    // Only now the marker: a task seen gone has written it before it exited.
    const marker = await this.#options.readMarker(job.jobDir, index);
    if (marker) return { state: marker.rc === 0 ? 'COMPLETED' : 'FAILED', ...none, exitCode: marker.rc, node };
    const exited = this.#exited.get(k);
    if (!exited) return null;
    const signal = exited.signal === null ? null : constants.signals[exited.signal];
    return { state: exited.cancelled ? 'CANCELLED' : 'FAILED', reason: exited.reason, exitCode: exited.code, signal, node };
  }

  async #orphans(): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const { pid, argv } of await this.#options.processes.list()) {
      const [, script, jobDir, index] = argv;
      if (script === undefined || jobDir === undefined || index === undefined) continue;
      if (path.basename(script) !== SCRIPT_NAME || !/^\d+$/.test(index)) continue;
      const k = key(jobDir, Number(index));
      if (!this.#running.has(k)) found.set(k, pid);
    }
    return found;
  }

  async #stop(jobDir: string, index: number, pid: number | undefined): Promise<void> {
    const k = key(jobDir, index);
    if (this.#queued.delete(k)) {
      this.#queue.splice(
        this.#queue.findIndex((q) => key(q.job.jobDir, q.index) === k),
        1,
      );
    }
    this.#cancelled.add(k);
    if (pid === undefined) return;
    if (!this.#options.launcher.killGroup(pid, 'SIGTERM')) return;
    await sleep(this.#options.killGraceMs);
    this.#options.launcher.killGroup(pid, 'SIGKILL');
  }

  #pump(): void {
    while (this.#running.size < this.#options.concurrency) {
      const next = this.#queue.shift();
      if (!next) return;
      const { job, index } = next;
      const k = key(job.jobDir, index);
      this.#queued.delete(k);
      let child: LaunchedProcess;
      try {
        child = this.#options.launcher.launch(
          ['bash', job.scriptPath, job.jobDir, String(index)],
          taskLogPath(job.logPattern, index),
          this.#options.env,
        );
      } catch (err) {
        const reason = `could not start ${job.scriptPath}: ${err instanceof Error ? err.message : String(err)}`;
        this.#exited.set(k, { code: 126, signal: null, cancelled: false, reason });
        continue;
      }
      this.#running.set(k, { pid: child.pid, name: job.name, jobDir: job.jobDir, index });
      void child.exited.then((status) => {
        this.#running.delete(k);
        this.#exited.set(k, { ...status, cancelled: this.#cancelled.has(k), reason: null });
        this.#pump();
        this.#wake?.();
      });
    }
  }
}
