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
    expect(decideObservation(retryable, 1, 3, 'normal', () => at)).toEqual({
      observation: { state: 'pending', failures: 1, retryAt: at },
      step: 'retry',
    });
    expect(decideObservation(retryable, 1, 3, 'final', () => at)).toEqual({
      observation: { state: 'pending', failures: 1, retryAt: null },
      step: 'retry',
    });
  });

  it('sets the observation aside when retries are spent or the failure is permanent', () => {
    expect(decideObservation(retryable, 4, 3, 'normal', () => at).observation).toEqual({ state: 'failed', failures: 4, retryAt: null });
    expect(decideObservation({ ...retryable, retryable: false }, 1, 3, 'normal', () => at).step).toBe('give-up');
  });

  it('does not hold an uncounted or interrupted ending against the observation', () => {
    expect(decideObservation(retryable, 2, 3, 'uncounted', () => at)).toEqual({
      observation: { state: 'pending', failures: 1, retryAt: null },
      step: 'requeue',
    });
    expect(decideObservation({ kind: 'interrupted', reason: 'x' }, 2, 3, 'final', () => at)).toEqual({
      observation: { state: 'pending', failures: 1, retryAt: null },
      step: 'requeue',
    });
  });
});

describe('run summary', () => {
  it('says what happened in one line, counting failures rather than listing them', () => {
    const stats = { ...emptyStats(), observations: 3, skipped: 1, jobs: 1, submitted: 2, completed: 1, failed: 1 };
    expect(summarise(stats)).toBe('3 observations (1 done earlier); 2 tasks in 1 job: 1 completed, 1 failed, 0 retried');
    expect(summarise({ ...stats, setAside: 2, interrupted: 1, leftFiles: 2 })).toBe(
      '3 observations (1 done earlier, 2 failed earlier and set aside); 2 tasks in 1 job: 1 completed, 1 failed, 0 retried, 1 interrupted (pending again), 2 files left unpublished',
    );
  });

  it("fails a run that leaves failed observations, this run's or earlier ones", () => {
    expect(failureError([], [])).toBeUndefined();
    const error = failureError(
      Array.from({ length: 5 }, (_, i) => `f${i}`),
      [
        { obs: 'old', error: 'sdoss: observation old: exited 3' },
        { obs: 'older', error: null },
      ],
    );
    expect(error).toMatchObject({ code: 'JOB_FAILED' });
    // The head names the first; the next lines the five after it, none twice; the rest counted.
    expect(error!.message.split('\n')).toEqual([
      '7 observations failed for good (5 in this run, 2 set aside earlier); first: f0',
      'f1',
      'f2',
      'f3',
      'f4',
      'sdoss: observation old: exited 3',
      '... and 1 more',
    ]);
    expect(failureError(['a', 'b', 'c', 'd', 'e', 'f'], [])!.message.split('\n')).toEqual([
      '6 observations failed for good (6 in this run); first: a',
      'b',
      'c',
      'd',
      'e',
      'f',
    ]);
    expect(failureError([], [{ obs: 'old', error: 'x' }])!.message).toBe('1 observation failed for good (1 set aside earlier); first: x');
  });
});
