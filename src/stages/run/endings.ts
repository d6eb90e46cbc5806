import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { backoffMs } from '../../core/abort.js';
import { coerceError } from '../../core/errors.js';
import { readExitMarker, taskDir, taskOutDir, type ExitMarker } from '../../executors/job-files.js';
import type { Executor, TaskStatus, TrackedJob } from '../../executors/types.js';
import { classifyEnd, type Verdict } from './classify.js';
import { readLogTail } from './log-tail.js';
import { mayBeMemory, memoryOverrun } from './memory.js';
import { decideObservation, type EndMode, type Step } from './outcomes.js';
import { checkOutputs } from './outputs.js';
import type { RunSettings } from './settings.js';
import type { JobRecord, PendingObservation, TaskEnd, TaskRecord } from './job-ledger.js';

export type Ended = Exclude<Verdict, { kind: 'wait' }>;

/** A task the tracker is waiting for. */
export interface LiveTask extends TaskRecord {
  lastSeenMs: number;
  /** When the scheduler first said the task ended while second evidence was missing. */
  evidenceWaitSinceMs: number | null;
  /** Why nocturne asked SLURM to cancel it ("at the stage timeout"), if it did. */
  cancelCause: string | null;
  /** A warning about its long wait was logged. */
  waitWarned: boolean;
}

/** One task to be recorded as ended, and why. */
export interface EndRequest {
  job: JobRecord;
  task: LiveTask;
  verdict: Ended;
  state: TaskEnd['state'];
  mode: EndMode;
  status?: TaskStatus | undefined;
  marker?: ExitMarker | null;
  /** Already read, for a memory check. */
  logTail?: string | null;
}

export interface Ending {
  end: TaskEnd;
  step: Step;
  /** The message that names the observation, job, attempt, what happened and what comes next; null on success. */
  reason: string | null;
  /** Counted as a failure of this run. */
  failed: boolean;
  /** To submit again in this run. */
  requeue: PendingObservation | null;
  /** Outputs to move into the outbox before the end is recorded. */
  publish: { fromDir: string; files: string[] } | null;
  /** The task's directory holds nothing worth keeping once its outputs are published. */
  removeDir: boolean;
}

export function failedVerdict(reason: string, retryable = false): Ended {
  return { kind: 'failed', retryable, reason, exitCode: null, signal: null };
}

/**
 * A completed task one of whose outputs has the name of a file with other bytes already in
 * the outbox (`publisher`'s output, when known): nothing of it was published, so as not to replace
 * that file before its upload. Not retried: the same code writes the same name again.
 */
export function outboxTaken(outbox: string, name: string, publisher: string | null): Ended {
  const by = publisher === null ? '' : `, published by observation ${publisher}`;
  return {
    kind: 'failed',
    retryable: false,
    reason:
      `its output ${name} has the name of another file already in the outbox (${path.join(outbox, name)}${by}, not yet uploaded, or kept there): ` +
      `nothing of the task is published, so as not to replace it; the code must give each observation's outputs names of their own (with {obs} in them)`,
    exitCode: 0,
    signal: null,
  };
}

export interface JudgeContext {
  settings: RunSettings;
  executor: Executor;
  now: number;
  graceMs: number;
  signal?: AbortSignal;
}

/** Reads the evidence of a task the scheduler reports as ended, and classifies the end. */
export async function judge(
  job: JobRecord,
  tracked: TrackedJob,
  task: LiveTask,
  status: TaskStatus,
  c: JudgeContext,
): Promise<{ verdict: Verdict; marker: ExitMarker | null; logTail?: string | null }> {
  let marker: ExitMarker | null;
  try {
    marker = await readExitMarker(job.jobDir, task.index);
  } catch (err) {
    // An unreadable marker is this host's trouble (permissions, a filesystem), not the code's.
    return { verdict: failedVerdict(coerceError(err).message, true), marker: null };
  }
  const exitedZero = marker?.rc === 0;
  const outputs =
    !exitedZero || marker?.outputsIn !== 'task'
      ? null
      : task.outputs
        ? { kind: 'ok' as const, files: task.outputs }
        : await checkOutputs(taskOutDir(job.jobDir, task.index), marker, c.settings.rowsRequired);
  const awaiting =
    (status.state === 'COMPLETED' && !marker) ||
    outputs?.kind === 'missing' ||
    (status.state === 'CANCELLED' && !exitedZero && task.cancelCause === null && !task.cancelRequested && status.cancelledBy == null);
  if (awaiting) task.evidenceWaitSinceMs ??= c.now;
  const overdue = task.evidenceWaitSinceMs !== null && c.now - task.evidenceWaitSinceMs >= c.graceMs;
  let memory = null;
  let logTail: string | null | undefined;
  if (mayBeMemory(status)) {
    logTail = await readLogTail(task.logPath);
    const peak = await c.executor.peakMemory({ job: tracked, index: task.index }, c.signal).catch(() => null);
    memory = memoryOverrun(status, logTail, peak, c.settings.resources.mem);
  }
  const verdict = classifyEnd({
    status,
    marker,
    overdue,
    outputs,
    cancelledByUs: task.cancelCause ?? (task.cancelRequested ? 'at the stage timeout of an earlier run' : null),
    cancelledBy: status.cancelledBy == null ? null : await userName(status.cancelledBy),
    neverStarted: task.state === 'pending' ? { reason: task.waitReason ?? null } : null,
    memory,
    retryTimeout: c.settings.retryTimeout,
    csvGlob: c.settings.csvGlob,
    mem: c.settings.resources.mem,
    time: c.settings.resources.time,
  });
  return { verdict, marker, ...(logTail === undefined ? {} : { logTail }) };
}

/** `sdoss: observation X (job noc-sdoss-ab12, SLURM 123_4, attempt 2)` */
export function describeTask(pipeline: string, job: JobRecord, task: TaskBaseLike): string {
  const id = job.schedulerId;
  const slurm = id === null || job.executor !== 'slurm' ? '' : `, SLURM ${id}${job.isArray ? `_${task.index}` : ''}`;
  return `${pipeline}: observation ${task.obs} (job ${job.name}${slurm}, attempt ${task.attempt})`;
}

type TaskBaseLike = Pick<TaskRecord, 'obs' | 'index' | 'attempt'>;

/** What happens to the observation next, in words. */
function consequence(step: Step, mode: EndMode, request: EndRequest, retryable: boolean, retries: number): string {
  const { attempt } = request.task;
  switch (step) {
    case 'done':
      return '';
    case 'retry':
      return mode === 'normal'
        ? `retried after a pause (attempt ${attempt + 1} of ${retries + 1})`
        : `to be retried by the next run (attempt ${attempt + 1} of ${retries + 1})`;
    case 'give-up':
      return retryable ? `set aside after ${attempt} attempts` : 'set aside, not retried';
    case 'requeue':
      return request.state === 'lost' && mode === 'uncounted' ? 'submitted again' : 'pending again, for the next run';
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Turns a request into the row updates, the retry decision and the messages. */
export async function buildEnding(request: EndRequest, settings: RunSettings, now: number, random: () => number): Promise<Ending> {
  const { job, task, verdict, state, mode, status, marker } = request;
  const retryAt = () => new Date(now + backoffMs(task.attempt, settings.pollIntervalMs, 30 * settings.pollIntervalMs, random));
  const decision = decideObservation(verdict, task.attempt, settings.retries, mode, retryAt);
  const failure = verdict.kind === 'failed' ? verdict : null;
  const dir = taskDir(job.jobDir, task.index);
  const kept = marker ? [...marker.left, ...(verdict.kind === 'completed' ? [] : [...marker.quicklooks, ...marker.csv])] : [];
  let reason: string | null = null;
  if (verdict.kind !== 'completed') {
    const parts = [
      `${describeTask(settings.pipeline, job, task)}: ${verdict.reason}`,
      consequence(decision.step, mode, request, failure?.retryable ?? false, settings.retries),
      ...(kept.length > 0 ? [`its files stay in ${dir}`] : []),
      // A task that never started has no log: naming one would send a person looking for nothing.
      ...((await exists(task.logPath)) ? [`log ${task.logPath}`] : []),
    ];
    reason = parts.filter((p) => p !== '').join('; ');
  }
  const left = marker?.left ?? [];
  const end: TaskEnd = {
    job: job.id,
    index: task.index,
    input: task.input,
    state,
    schedulerState: status?.state ?? null,
    exitCode: failure ? failure.exitCode : verdict.kind === 'completed' ? 0 : null,
    signal: failure ? failure.signal : null,
    reason,
    retryable: failure ? failure.retryable : null,
    node: status?.node ?? null,
    logTail: failure ? (request.logTail !== undefined ? request.logTail : await readLogTail(task.logPath)) : null,
    outputs: verdict.kind === 'completed' ? verdict.outputs : null,
    leftFiles: left.length > 0 ? left : null,
    observation: decision.observation,
  };
  // Retried in this run: a retryable failure, or a task lost before it ever started.
  const again =
    (decision.step === 'retry' && mode === 'normal') || (decision.step === 'requeue' && state === 'lost' && mode === 'uncounted');
  const requeue = again
    ? {
        input: task.input,
        obs: task.obs,
        night: task.night,
        failures: decision.observation.failures,
        retryAt: decision.observation.retryAt,
      }
    : null;
  const publish =
    verdict.kind === 'completed' && marker?.outputsIn === 'task'
      ? { fromDir: taskOutDir(job.jobDir, task.index), files: verdict.outputs }
      : null;
  return {
    end,
    step: decision.step,
    reason,
    failed: decision.step === 'give-up',
    requeue,
    publish,
    removeDir: marker !== null && kept.length === 0,
  };
}

const userNames = new Map<number, string>();

/** "root (uid 0)", from this host's user database; "uid 1234" when it does not know the uid. */
export async function userName(uid: number): Promise<string> {
  if (userNames.size === 0) {
    const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
    for (const line of passwd.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id && /^\d+$/.test(id) && !userNames.has(Number(id))) userNames.set(Number(id), name);
    }
  }
  const name = userNames.get(uid);
  return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`;
}
