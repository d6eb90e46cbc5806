import { NocturneError } from '../core/errors.js';
import type { Executor } from '../executors/types.js';
import type { SubmissionGate } from '../fair-share/gate.js';
import type { CampaignStore } from './store.js';

/**
 * Whether a driver may go on: its campaign still running, still held by this process.
 * Asked at each heartbeat, right before each submission (the gate) and right after each
 * poll (the executor): a cancel, a pause or another driver taking over stops the driver
 * within a query, not at its next heartbeat, and a poll that may show the cancel's
 * `scancel` is never recorded as the tasks' end.
 */
export class CampaignWatch {
  /** Set when another process holds the campaign: this driver records nothing more. */
  takenOver = false;

  constructor(
    private readonly store: CampaignStore,
    private readonly id: number,
    private readonly stop: AbortController,
  ) {}

  async check(): Promise<boolean> {
    if (this.stop.signal.aborted) return false;
    const state = await this.store.heartbeat(this.id);
    if (state === null) {
      this.takenOver = true;
      this.stop.abort(new NocturneError('ABORTED', `campaign ${this.id} taken over by another driver`));
    } else if (state !== 'running') {
      this.stop.abort(new NocturneError('ABORTED', `campaign ${this.id} ${state}`));
    }
    return !this.stop.signal.aborted;
  }

  /** A submission gate that admits nothing once the campaign is no longer this driver's to run. */
  gate(inner: SubmissionGate): SubmissionGate {
    return {
      admit: async (want) => {
        const admitted = await inner.admit(want);
        return (await this.check()) ? admitted : 0;
      },
      close: () => inner.close(),
    };
  }

  /** The executor, whose polls are set aside (an abort) once the campaign is no longer this driver's to run. */
  executor(inner: Executor): Executor {
    return {
      kind: inner.kind,
      lostAfterMs: inner.lostAfterMs,
      describe: (job) => inner.describe(job),
      submit: (job, signal) => inner.submit(job, signal),
      poll: async (jobs, signal) => {
        const result = await inner.poll(jobs, signal);
        if (await this.check()) return result;
        throw this.stop.signal.reason;
      },
      cancel: (tasks, signal) => inner.cancel(tasks, signal),
      maxArrayTasks: (signal) => inner.maxArrayTasks(signal),
      peakMemory: (task, signal) => inner.peakMemory(task, signal),
      idle: (ms, signal) => inner.idle(ms, signal),
      abandon: () => inner.abandon(),
    };
  }
}
