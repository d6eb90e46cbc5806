import { plural } from '../../core/printable.js';
import { NocturneError } from '../../core/errors.js';
import { nextStep, type Verdict } from './classify.js';
import type { TaskEnd } from './job-ledger.js';

/** Counters of one run of the stage, recorded in runs.stats. */
export interface RunStats {
  /** Observations the glob found for the run's nights. */
  observations: number;
  /** Of those, done by earlier runs. */
  skipped: number;
  /** Of those, failed for good in earlier runs and set aside for a person. */
  setAside: number;
  /** Inputs the glob found that are not run: their names hold a control character, or are not UTF-8 (logged once per process). */
  refused: number;
  /** Submissions (sbatch calls, or local launches of a job). */
  jobs: number;
  /** Tasks submitted, retries included. */
  submitted: number;
  completed: number;
  /** Tasks that failed for good in this run (the code's failure, or SLURM's verdict on it). */
  failed: number;
  retried: number;
  lost: number;
  /** Tasks stopped by nocturne (stage timeout, a job that can never start) or never submitted (an outage): their observations are pending again. */
  interrupted: number;
  /** Files tasks wrote and did not publish, reported and kept in their work directories. */
  leftFiles: number;
}

export function emptyStats(): RunStats {
  return {
    observations: 0,
    skipped: 0,
    setAside: 0,
    refused: 0,
    jobs: 0,
    submitted: 0,
    completed: 0,
    failed: 0,
    retried: 0,
    lost: 0,
    interrupted: 0,
    leftFiles: 0,
  };
}

/**
 * How an ending bears on the observation:
 * - normal: a failure counts; a retryable one is retried in this run, after a backoff;
 * - final: the stage is stopping; a retryable failure waits for the next run;
 * - uncounted: not the observation's fault (a task lost before it ever started): back to
 *   pending, no failure counted. An interrupted verdict is always uncounted.
 */
export type EndMode = 'normal' | 'final' | 'uncounted';

export type Step = 'done' | 'retry' | 'give-up' | 'requeue';

export interface EndDecision {
  observation: TaskEnd['observation'];
  step: Step;
}

export function decideObservation(
  verdict: Exclude<Verdict, { kind: 'wait' }>,
  attempt: number,
  retries: number,
  mode: EndMode,
  retryAt: () => Date,
): EndDecision {
  if (verdict.kind === 'completed') return { observation: { state: 'done', failures: attempt - 1, retryAt: null }, step: 'done' };
  if (mode === 'uncounted' || verdict.kind === 'interrupted') {
    return { observation: { state: 'pending', failures: attempt - 1, retryAt: null }, step: 'requeue' };
  }
  const step = nextStep(verdict, attempt, retries);
  if (step === 'retry') {
    return { observation: { state: 'pending', failures: attempt, retryAt: mode === 'normal' ? retryAt() : null }, step };
  }
  return { observation: { state: 'failed', failures: attempt, retryAt: null }, step: 'give-up' };
}

/** One line for the history: what was found, what ran, how it ended. */
export function summarise(stats: RunStats): string {
  const earlier = [
    `${stats.skipped} done earlier`,
    ...(stats.setAside > 0 ? [`${stats.setAside} failed earlier and set aside`] : []),
    ...(stats.refused > 0 ? [`${plural(stats.refused, 'input')} refused by name, not run (see the log)`] : []),
  ];
  const ends = [`${stats.completed} completed`, `${stats.failed} failed`, `${stats.retried} retried`];
  if (stats.lost > 0) ends.push(`${stats.lost} lost`);
  if (stats.interrupted > 0) ends.push(`${stats.interrupted} interrupted (pending again)`);
  if (stats.leftFiles > 0) ends.push(`${plural(stats.leftFiles, 'file')} left unpublished`);
  return `${plural(stats.observations, 'observation')} (${earlier.join(', ')}); ${plural(stats.submitted, 'task')} in ${plural(stats.jobs, 'job')}: ${ends.join(', ')}`;
}

/**
 * The run's error when observations failed for good, in this run or before it: a run
 * that leaves failed observations is not a success. The first line counts them and
 * names the first; the next lines (for `nocturne logs`) name up to five others.
 */
export function failureError(
  thisRun: readonly string[],
  earlier: ReadonlyArray<{ obs: string; error: string | null }>,
): NocturneError | undefined {
  const all = [...thisRun, ...earlier.map((e) => e.error ?? `observation ${e.obs} failed`)];
  if (all.length === 0) return undefined;
  const parts = [
    ...(thisRun.length > 0 ? [`${thisRun.length} in this run`] : []),
    ...(earlier.length > 0 ? [`${earlier.length} set aside earlier`] : []),
  ];
  const head = `${plural(all.length, 'observation')} failed for good (${parts.join(', ')}); first: ${all[0]}`;
  // The head names the first: the next lines go on from the second, so none is told twice.
  const next = all.slice(1, 6);
  const more = all.length > 1 + next.length ? [`... and ${all.length - 1 - next.length} more`] : [];
  return new NocturneError('JOB_FAILED', [head, ...next, ...more].join('\n'));
}

export interface TimeoutEnd {
  pipeline: string;
  timeout: string;
  /** "SLURM", or "the executor". */
  scheduler: string;
  /** Live at the timeout. */
  tasks: number;
  /** Of those, seen ended since (interrupted). */
  cancelled: number;
  /** Still not seen ended. */
  unconfirmed: number;
  /** Why the scheduler could not be asked to cancel them, if it could not. */
  refused: NocturneError | null;
}

/** What the stage timeout did, as the run's error: never "cancelled" for what was not. */
export function timeoutError(t: TimeoutEnd): NocturneError {
  const head = `${t.pipeline}/run reached its stage timeout (${t.timeout})`;
  const cancelled = `${t.cancelled} task(s) cancelled, their observations pending again for the next run`;
  const message = t.refused
    ? `${head}; cancelling its ${t.tasks} task(s) failed (${t.refused.message}): they stay in ${t.scheduler}'s hands, followed again by the next run`
    : t.unconfirmed > 0
      ? `${head}; ${cancelled}; ${t.unconfirmed} task(s) not yet confirmed ended by ${t.scheduler}, followed again by the next run`
      : `${head}; ${cancelled}`;
  return new NocturneError('TIMEOUT', message);
}
