import { backoffMs } from '../../core/abort.js';
import { coerceError } from '../../core/errors.js';
import { readExitMarker } from '../../executors/job-files.js';
import type { TaskStatus } from '../../executors/types.js';
import { classifyEnd, type Verdict } from './classify.js';
import { readLogTail } from './log-tail.js';
import { decideObservation, type EndMode, type Step } from './outcomes.js';
import type { RunSettings } from './settings.js';
import type { JobRecord, PendingObservation, TaskEnd, TaskRecord } from './store.js';

export type Ended = Exclude<Verdict, { kind: 'wait' }>;

/** A task the tracker is waiting for. */
export interface LiveTask extends TaskRecord {
  lastSeenMs: number;
  /** When the scheduler first said COMPLETED while the exit marker was missing. */
  markerWaitSinceMs: number | null;
}

/** One task to be recorded as ended, and why. */
export interface EndRequest {
  job: JobRecord;
  task: TaskRecord;
  verdict: Ended;
  state: TaskEnd['state'];
  mode: EndMode;
  status?: TaskStatus | undefined;
}

export interface Ending {
  end: TaskEnd;
  step: Step;
  /** The message that names the observation, job, attempt and log; null on success. */
  reason: string | null;
  /** Counted as a failure of this run. */
  failed: boolean;
  /** To submit again in this run. */
  requeue: PendingObservation | null;
}

export function failedVerdict(reason: string, retryable = false): Ended {
  return { kind: 'failed', retryable, reason, exitCode: null, signal: null };
}

/** Reads the exit marker of a task the scheduler reports as ended, and classifies the end. */
export async function judge(
  job: JobRecord,
  task: LiveTask,
  status: TaskStatus,
  now: number,
  settings: RunSettings,
  markerGraceMs: number,
): Promise<Verdict> {
  let marker;
  try {
    marker = await readExitMarker(job.jobDir, task.index);
  } catch (err) {
    return failedVerdict(coerceError(err).message);
  }
  if (status.state === 'COMPLETED' && !marker) task.markerWaitSinceMs ??= now;
  const markerOverdue = task.markerWaitSinceMs !== null && now - task.markerWaitSinceMs >= markerGraceMs;
  return classifyEnd({ status, marker, markerOverdue, retryTimeout: settings.retryTimeout, csvGlob: settings.csvGlob });
}

/** `sdoss: observation X (job noc-sdoss-ab12, SLURM 123_4, attempt 2)` */
export function describeTask(pipeline: string, job: JobRecord, task: TaskRecord): string {
  const id = job.schedulerId;
  const slurm = id === null || job.executor !== 'slurm' ? '' : `, SLURM ${id}${job.isArray ? `_${task.index}` : ''}`;
  return `${pipeline}: observation ${task.obs} (job ${job.name}${slurm}, attempt ${task.attempt})`;
}

/** Turns a request into the row updates, the retry decision and the messages. */
export async function buildEnding(
  request: EndRequest,
  settings: RunSettings,
  now: number,
  random: () => number,
): Promise<Ending> {
  const { job, task, verdict, state, mode, status } = request;
  const retryAt = () =>
    new Date(now + backoffMs(task.attempt, settings.pollIntervalMs, 30 * settings.pollIntervalMs, random));
  const decision = decideObservation(verdict, task.attempt, settings.retries, mode, retryAt);
  const failure = verdict.kind === 'failed' ? verdict : null;
  const reason = failure ? `${describeTask(settings.pipeline, job, task)} ${failure.reason}; log ${task.logPath}` : null;
  const end: TaskEnd = {
    job: job.id,
    index: task.index,
    input: task.input,
    state,
    schedulerState: status?.state ?? null,
    exitCode: failure ? failure.exitCode : 0,
    signal: failure ? failure.signal : null,
    reason,
    retryable: failure ? failure.retryable : null,
    logTail: failure ? await readLogTail(task.logPath) : null,
    outputs: verdict.kind === 'completed' ? verdict.outputs : null,
    observation: decision.observation,
  };
  // Retried in this run: a retryable failure, or a task lost before it ever started.
  const again = (decision.step === 'retry' && mode === 'normal') || (decision.step === 'requeue' && state === 'lost');
  const requeue = again
    ? { input: task.input, obs: task.obs, night: task.night, failures: decision.observation.failures, retryAt: decision.observation.retryAt }
    : null;
  // A refused or unschedulable job fails the run without holding its observation against it.
  const failed = decision.step === 'give-up' || (mode === 'uncounted' && state === 'failed');
  return { end, step: decision.step, reason, failed, requeue };
}
