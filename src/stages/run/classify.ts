import { constants } from 'node:os';
import type { ExitMarker } from '../../executors/job-files.js';
import type { TaskStatus } from '../../executors/types.js';
import type { MemoryOverrun } from './memory.js';
import type { OutputCheck } from './outputs.js';

/**
 * How a task that the scheduler reports as ended has ended, for nocturne:
 * - completed: the code exited 0 and its outputs passed the checks (to publish, in order);
 * - failed: the code's own failure, or SLURM's verdict on it;
 * - interrupted: not the code's doing (nocturne cancelled it): its observation is pending again;
 * - wait: ended as far as the scheduler knows, but second evidence (exit marker, a listed
 *   output, who cancelled it) is not visible yet.
 */
export type Verdict =
  | { kind: 'completed'; outputs: string[] }
  | { kind: 'failed'; retryable: boolean; reason: string; exitCode: number | null; signal: number | null }
  | { kind: 'interrupted'; reason: string }
  | { kind: 'wait' };

/** Exit status by which a detection code asks to be tried again later (sysexits EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75;

export interface ClassifyInput {
  status: TaskStatus;
  marker: ExitMarker | null;
  /** The second evidence has been awaited long enough: decide without it. */
  overdue: boolean;
  /** The check of the outputs of a code that exited 0; null otherwise. */
  outputs: OutputCheck | null;
  /** Why nocturne asked SLURM to cancel the task, if it did ("at the stage timeout"). */
  cancelledByUs: string | null;
  /** Who else cancelled it, in words ("root (uid 0)"), when SLURM says. */
  cancelledBy: string | null;
  /** What the task was waiting for when it ended, if it never started. */
  neverStarted: { reason: string | null } | null;
  memory: MemoryOverrun | null;
  retryTimeout: boolean;
  csvGlob: string;
  /** The task's SLURM request, for the messages: "mem=100M", "00:30:00". */
  mem: string;
  time: string;
}

const RETRYABLE_STATES: Record<string, string> = {
  NODE_FAIL: 'the node it ran on failed',
  BOOT_FAIL: 'its node failed to boot',
  PREEMPTED: 'SLURM preempted it',
};

const PERMANENT_STATES: Record<string, string> = {
  DEADLINE: 'it missed its deadline',
  REVOKED: 'SLURM revoked it',
  SPECIAL_EXIT: 'it ended in SPECIAL_EXIT',
};

export function signalName(signal: number): string {
  const name = Object.entries(constants.signals).find(([, n]) => n === signal)?.[0];
  return name === undefined ? `signal ${signal}` : `signal ${signal} (${name})`;
}

function failed(retryable: boolean, reason: string, exitCode: number | null = null, signal: number | null = null): Verdict {
  return { kind: 'failed', retryable, reason, exitCode, signal };
}

/** What the exit status of the detection code says (`rc` as bash saw it: 128+n for signal n). */
function fromExitStatus(rc: number, signal: number | null, fromMarker: boolean): Verdict {
  if (signal !== null) return failed(false, `the task was killed by ${signalName(signal)}`, rc === 0 ? null : rc, signal);
  if (fromMarker && rc > 128 && rc < 160) return failed(false, `the detection code was killed by ${signalName(rc - 128)}`, rc, rc - 128);
  if (rc === EXIT_TEMPFAIL) return failed(true, `the detection code exited with status ${rc}, asking to be tried again later`, rc);
  return failed(false, `the detection code exited with status ${rc}`, rc);
}

/** A code that exited 0: success if its outputs are whole, whatever SLURM did to the job after. */
function fromOutputs(input: ClassifyInput, marker: ExitMarker): Verdict {
  const check = input.outputs ?? { kind: 'ok', files: [...marker.quicklooks, ...marker.csv] };
  if (check.kind === 'missing') {
    return input.overdue
      ? failed(false, `its exit marker lists ${check.names.join(', ')}, not found in its output directory`, 0)
      : { kind: 'wait' };
  }
  if (check.kind === 'bad') return failed(false, check.reason, 0);
  if (marker.csv.length === 0) {
    const [one, many] = ['is a symbolic link, which is', 'are symbolic links, which are'];
    const links =
      marker.links.length === 0
        ? ''
        : `: ${marker.links.join(', ')} there ${marker.links.length === 1 ? one : many} not taken (write the file itself)`;
    return failed(false, `the detection code exited 0 but wrote no file matching ${input.csvGlob} in its output directory${links}`, 0);
  }
  return { kind: 'completed', outputs: check.files };
}

function cancelled(input: ClassifyInput): Verdict {
  const { status } = input;
  if (input.cancelledByUs !== null) {
    const when = input.neverStarted
      ? `before it started${input.neverStarted.reason ? ` (it was waiting: ${input.neverStarted.reason})` : ''}`
      : 'while it ran';
    return { kind: 'interrupted', reason: `cancelled by nocturne ${input.cancelledByUs}, ${when}` };
  }
  if (input.cancelledBy === null && !input.overdue) return { kind: 'wait' };
  const who = input.cancelledBy === null ? '' : ` by ${input.cancelledBy}`;
  return failed(false, `it was cancelled${who} (CANCELLED)`, status.exitCode, status.signal);
}

/**
 * Success needs an exit marker saying 0 and whole outputs, one CSV at least: the marker is
 * written after the code, so a job SLURM ended after it (a late cancel, a time limit
 * reached while listing) has done its work. Any failure says whether trying again may help.
 */
export function classifyEnd(input: ClassifyInput): Verdict {
  const { status, marker } = input;
  // With cgroup enforcement only the process over the limit is killed: a code may still
  // exit 0, with outputs it could not finish. SLURM's OUT_OF_MEMORY is the verdict.
  if (input.memory && (status.state === 'OUT_OF_MEMORY' || !(marker?.rc === 0))) {
    const { usedBytes } = input.memory;
    const used = usedBytes === null ? '' : `, used ${formatMiB(usedBytes)}`;
    return failed(false, `it exceeded its memory (mem=${input.mem}${used}): raise run.slurm.mem`, status.exitCode, status.signal);
  }
  if (marker && marker.rc === 0) return fromOutputs(input, marker);
  switch (status.state) {
    case 'COMPLETED':
      if (marker) return fromExitStatus(marker.rc, null, true);
      return input.overdue ? failed(false, 'it ended COMPLETED without writing its exit marker') : { kind: 'wait' };
    case 'FAILED':
      if (marker) return fromExitStatus(marker.rc, null, true);
      if (status.signal !== null || status.exitCode !== null) return fromExitStatus(status.exitCode ?? 0, status.signal, false);
      return failed(false, 'SLURM says FAILED, with no exit code');
    case 'CANCELLED':
      return cancelled(input);
    case 'TIMEOUT':
      return failed(input.retryTimeout, `it reached its time limit of ${input.time} (TIMEOUT): raise run.slurm.time`);
    case 'OUT_OF_MEMORY':
      return failed(false, `it exceeded its memory (mem=${input.mem}, OUT_OF_MEMORY): raise run.slurm.mem`, status.exitCode, status.signal);
  }
  const retryable = RETRYABLE_STATES[status.state];
  if (retryable !== undefined) return failed(true, `${retryable} (${status.state})`);
  return failed(false, `${PERMANENT_STATES[status.state] ?? 'it ended'} (${status.state})`, status.exitCode, status.signal);
}

/** Bytes as SLURM writes memory: whole MiB, rounded up ("405M"). */
export function formatMiB(bytes: number): string {
  return `${Math.ceil(bytes / 1024 ** 2)}M`;
}

export type NextStep = 'done' | 'retry' | 'give-up';

/** `retries` is the number of attempts after the first; `attempt` counts from 1. */
export function nextStep(verdict: Verdict, attempt: number, retries: number): NextStep {
  if (verdict.kind === 'completed') return 'done';
  if (verdict.kind === 'failed' && verdict.retryable && attempt <= retries) return 'retry';
  return 'give-up';
}
