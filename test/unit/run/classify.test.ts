import { describe, expect, it } from 'vitest';
import { classifyEnd, nextStep, signalName, type ClassifyInput } from '../../../src/stages/run/classify.js';

const input = (state: string, over: Partial<ClassifyInput> = {}, status = {}): ClassifyInput => ({
  status: { name: 'noc-a', schedulerId: '5', index: 0, state, reason: null, exitCode: null, signal: null, ...status },
  marker: null,
  markerOverdue: false,
  retryTimeout: false,
  csvGlob: '*.csv',
  ...over,
});
const ok = { rc: 0, csv: ['a_feat.csv'], quicklooks: ['a.jpg'] };

describe('classifyEnd', () => {
  it('needs COMPLETED, a marker saying 0 and a published CSV for success', () => {
    expect(classifyEnd(input('COMPLETED', { marker: ok }))).toEqual({ kind: 'completed', outputs: ['a.jpg', 'a_feat.csv'] });
    expect(classifyEnd(input('COMPLETED'))).toEqual({ kind: 'wait' });
    expect(classifyEnd(input('COMPLETED', { markerOverdue: true }))).toMatchObject({ kind: 'failed', retryable: false, reason: 'ended COMPLETED but wrote no exit marker' });
    expect(classifyEnd(input('COMPLETED', { marker: { ...ok, csv: [] } }))).toMatchObject({ kind: 'failed', reason: 'exited 0 but published no file matching *.csv' });
  });

  it.each([
    ['FAILED', { marker: { rc: 3, csv: [], quicklooks: [] } }, {}, false, 'detection code exited with status 3'],
    ['FAILED', { marker: { rc: 75, csv: [], quicklooks: [] } }, {}, true, 'detection code exited with status 75 (temporary failure: try again)'],
    ['FAILED', { marker: { rc: 137, csv: [], quicklooks: [] } }, {}, false, 'detection code was killed by signal 9 (SIGKILL)'],
    ['FAILED', {}, { exitCode: 0, signal: 9 }, false, 'was killed by signal 9 (SIGKILL)'],
    ['FAILED', {}, { exitCode: 2, signal: null }, false, 'detection code exited with status 2'],
    ['TIMEOUT', {}, {}, false, 'reached its time limit (TIMEOUT)'],
    ['TIMEOUT', { retryTimeout: true }, {}, true, 'reached its time limit (TIMEOUT)'],
    ['CANCELLED', {}, {}, false, 'was cancelled (CANCELLED)'],
    ['OUT_OF_MEMORY', {}, {}, false, 'ran out of memory (OUT_OF_MEMORY)'],
    ['DEADLINE', {}, {}, false, 'missed its deadline (DEADLINE)'],
    ['NODE_FAIL', {}, {}, true, 'its node failed (NODE_FAIL)'],
    ['BOOT_FAIL', {}, {}, true, 'its node failed to boot (BOOT_FAIL)'],
    ['PREEMPTED', {}, {}, true, 'was preempted (PREEMPTED)'],
  ])('%s %j %j → retryable %s: %s', (state, over, status, retryable, reason) => {
    expect(classifyEnd(input(state, over, status))).toMatchObject({ kind: 'failed', retryable, reason });
  });

  it('retries retryable failures up to `retries` attempts after the first', () => {
    const retryable = { kind: 'failed', retryable: true, reason: '', exitCode: null, signal: null } as const;
    expect(nextStep(retryable, 1, 2)).toBe('retry');
    expect(nextStep(retryable, 2, 2)).toBe('retry');
    expect(nextStep(retryable, 3, 2)).toBe('give-up');
    expect(nextStep({ ...retryable, retryable: false }, 1, 2)).toBe('give-up');
    expect(nextStep({ kind: 'completed', outputs: [] }, 3, 0)).toBe('done');
  });

  it('names signals', () => {
    expect(signalName(15)).toBe('signal 15 (SIGTERM)');
    expect(signalName(99)).toBe('signal 99');
  });
});
