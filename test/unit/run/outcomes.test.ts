import { describe, expect, it } from 'vitest';
import { decideObservation, emptyStats, failureError, summarise } from '../../../src/stages/run/outcomes.js';

const at = new Date('2026-11-20T03:00:00Z');
const retryable = { kind: 'failed', retryable: true, reason: 'x', exitCode: null, signal: null } as const;

describe('decideObservation', () => {
  it('marks a completed observation done', () => {
    expect(decideObservation({ kind: 'completed', outputs: [] }, 2, 3, 'normal', () => at)).toEqual({
      observation: { state: 'done', failures: 1, retryAt: null },
      step: 'done',
    });
  });

  it('retries after a backoff in this run, or in the next run when the stage is stopping', () => {
    expect(decideObservation(retryable, 1, 3, 'normal', () => at)).toEqual({ observation: { state: 'pending', failures: 1, retryAt: at }, step: 'retry' });
    expect(decideObservation(retryable, 1, 3, 'final', () => at)).toEqual({ observation: { state: 'pending', failures: 1, retryAt: null }, step: 'retry' });
  });

  it('sets the observation aside when retries are spent or the failure is permanent', () => {
    expect(decideObservation(retryable, 4, 3, 'normal', () => at).observation).toEqual({ state: 'failed', failures: 4, retryAt: null });
    expect(decideObservation({ ...retryable, retryable: false }, 1, 3, 'normal', () => at).step).toBe('give-up');
  });

  it('does not hold an uncounted ending against the observation', () => {
    expect(decideObservation(retryable, 2, 3, 'uncounted', () => at)).toEqual({ observation: { state: 'pending', failures: 1, retryAt: null }, step: 'requeue' });
  });
});

describe('run summary', () => {
  it('says what happened and names the first failure', () => {
    const stats = { ...emptyStats(), observations: 3, skipped: 1, jobs: 1, submitted: 2, completed: 1, failed: 1 };
    expect(summarise(stats, ['sdoss: observation b failed'])).toBe(
      '3 observations (1 already done), 2 tasks in 1 jobs, 1 completed, 1 failed, 0 retried, 0 lost; first failure: sdoss: observation b failed',
    );
    expect(failureError([])).toBeUndefined();
    const error = failureError(Array.from({ length: 7 }, (_, i) => `f${i}`));
    expect(error).toMatchObject({ code: 'JOB_FAILED' });
    expect(error!.message).toBe('7 task(s) failed:\nf0\nf1\nf2\nf3\nf4\n... and 2 more');
  });
});
