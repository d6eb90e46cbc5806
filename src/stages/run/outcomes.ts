import { NocturneError } from '../../core/errors.js';
import { nextStep, type Verdict } from './classify.js';
import type { TaskEnd } from './store.js';

/** Counters of one run of the stage, recorded in runs.stats. */
export interface RunStats {
  /** Observations the glob found for the run's nights. */
  observations: number;
  /** Of those, already done or set aside by earlier runs. */
  skipped: number;
  /** Submissions (sbatch calls, or local launches of a job). */
  jobs: number;
  /** Tasks submitted, retries included. */
  submitted: number;
  completed: number;
  failed: number;
  retried: number;
  lost: number;
}

export function emptyStats(): RunStats {
  return { observations: 0, skipped: 0, jobs: 0, submitted: 0, completed: 0, failed: 0, retried: 0, lost: 0 };
}

/**
 * How an ending bears on the observation:
 * - normal: a failure counts; a retryable one is retried in this run, after a backoff;
 * - final: the stage is stopping; a retryable failure waits for the next run;
 * - uncounted: not the observation's fault (shutdown, a refused submission, a task lost
 *   before it ever started): back to pending, no failure counted.
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
  if (mode === 'uncounted') return { observation: { state: 'pending', failures: attempt - 1, retryAt: null }, step: 'requeue' };
  const step = nextStep(verdict, attempt, retries);
  if (step === 'retry') {
    return { observation: { state: 'pending', failures: attempt, retryAt: mode === 'normal' ? retryAt() : null }, step };
  }
  return { observation: { state: 'failed', failures: attempt, retryAt: null }, step: 'give-up' };
}

export function summarise(stats: RunStats, failures: readonly string[]): string {
  const parts = [
    `${stats.observations} observations (${stats.skipped} already done)`,
    `${stats.submitted} tasks in ${stats.jobs} jobs`,
    `${stats.completed} completed`,
    `${stats.failed} failed`,
    `${stats.retried} retried`,
    `${stats.lost} lost`,
  ];
  const first = failures[0];
  return `${parts.join(', ')}${first === undefined ? '' : `; first failure: ${first}`}`;
}

export function failureError(failures: readonly string[]): NocturneError | undefined {
  if (failures.length === 0) return undefined;
  const shown = failures.slice(0, 5).join('\n');
  const more = failures.length > 5 ? `\n... and ${failures.length - 5} more` : '';
  return new NocturneError('JOB_FAILED', `${failures.length} task(s) failed:\n${shown}${more}`);
}
