import { describe, expect, it } from 'vitest';
import type { ExitMarker } from '../../../src/executors/job-files.js';
import type { OutputCheck } from '../../../src/stages/run/outputs.js';
import { classifyEnd, formatMiB, nextStep, signalName, type ClassifyInput } from '../../../src/stages/run/classify.js';

const input = (state: string, over: Partial<ClassifyInput> = {}, status = {}): ClassifyInput => ({
  status: { name: 'noc-a', schedulerId: '5', index: 0, state, reason: null, exitCode: null, signal: null, ...status },
  marker: null,
  overdue: false,
  outputs: null,
  cancelledByUs: null,
  cancelledBy: null,
  neverStarted: null,
  memory: null,
  retryTimeout: false,
  csvGlob: '*.csv',
  mem: '100M',
  time: '00:30:00',
  ...over,
});
const marker = (rc: number, over: Partial<ExitMarker> = {}): ExitMarker => ({
  rc,
  outputsIn: 'task',
  csv: [],
  quicklooks: [],
  left: [],
  links: [],
  notUtf8: [],
  ...over,
});
const ok = marker(0, { csv: ['a_feat.csv'], quicklooks: ['a.jpg'] });
const checked: OutputCheck = { kind: 'ok', files: ['a.jpg', 'a_feat.csv'] };

describe('classifyEnd', () => {
  it('needs an exit marker saying 0 and whole outputs, a CSV among them, for success', () => {
    expect(classifyEnd(input('COMPLETED', { marker: ok, outputs: checked }))).toEqual({
      kind: 'completed',
      outputs: ['a.jpg', 'a_feat.csv'],
    });
    expect(classifyEnd(input('COMPLETED'))).toEqual({ kind: 'wait' });
    expect(classifyEnd(input('COMPLETED', { overdue: true }))).toMatchObject({
      kind: 'failed',
      retryable: false,
      reason: 'it ended COMPLETED without writing its exit marker',
    });
    expect(classifyEnd(input('COMPLETED', { marker: marker(0), outputs: { kind: 'ok', files: [] } }))).toMatchObject({
      kind: 'failed',
      reason: 'the detection code exited 0 but wrote no file matching *.csv in its output directory',
    });
    expect(
      classifyEnd(input('COMPLETED', { marker: marker(0, { links: ['a.csv', 'b.csv'] }), outputs: { kind: 'ok', files: [] } })),
    ).toMatchObject({
      reason:
        'the detection code exited 0 but wrote no file matching *.csv in its output directory: a.csv, b.csv there are symbolic links, which are not taken (write the file itself)',
    });
    const bad = { kind: 'bad' as const, reason: 'the detection code wrote an empty file a_feat.csv (0 bytes)' };
    expect(classifyEnd(input('COMPLETED', { marker: ok, outputs: bad }))).toMatchObject({
      kind: 'failed',
      retryable: false,
      reason: bad.reason,
    });
  });

  it('waits for listed outputs a shared filesystem has not shown yet, then fails', () => {
    const missing: OutputCheck = { kind: 'missing', names: ['a_feat.csv'] };
    expect(classifyEnd(input('COMPLETED', { marker: ok, outputs: missing }))).toEqual({ kind: 'wait' });
    expect(classifyEnd(input('COMPLETED', { marker: ok, outputs: missing, overdue: true }))).toMatchObject({
      kind: 'failed',
      reason: 'its exit marker lists a_feat.csv, not found in its output directory',
    });
  });

  it('keeps the work of a code that ended 0 before SLURM ended its job', () => {
    expect(classifyEnd(input('CANCELLED', { marker: ok, outputs: checked }))).toMatchObject({ kind: 'completed' });
    expect(classifyEnd(input('TIMEOUT', { marker: ok, outputs: checked }))).toMatchObject({ kind: 'completed' });
  });

  it.each([
    ['FAILED', { marker: marker(3) }, {}, false, 'the detection code exited with status 3'],
    ['FAILED', { marker: marker(75) }, {}, true, 'the detection code exited with status 75, asking to be tried again later'],
    ['FAILED', { marker: marker(137) }, {}, false, 'the detection code was killed by signal 9 (SIGKILL)'],
    ['FAILED', {}, { exitCode: 0, signal: 9 }, false, 'the task was killed by signal 9 (SIGKILL)'],
    ['FAILED', {}, { exitCode: 2, signal: null }, false, 'the detection code exited with status 2'],
    [
      'FAILED',
      { memory: { usedBytes: 424361984 } },
      { exitCode: 0, signal: 9 },
      false,
      'it exceeded its memory (mem=100M, used 405M): raise run.slurm.mem',
    ],
    ['OUT_OF_MEMORY', { memory: { usedBytes: null } }, {}, false, 'it exceeded its memory (mem=100M): raise run.slurm.mem'],
    ['TIMEOUT', {}, {}, false, 'it reached its time limit of 00:30:00 (TIMEOUT): raise run.slurm.time'],
    ['TIMEOUT', { retryTimeout: true }, {}, true, 'it reached its time limit of 00:30:00 (TIMEOUT): raise run.slurm.time'],
    ['CANCELLED', { cancelledBy: 'root (uid 0)' }, {}, false, 'it was cancelled by root (uid 0) (CANCELLED)'],
    ['CANCELLED', { overdue: true }, {}, false, 'it was cancelled (CANCELLED)'],
    ['DEADLINE', {}, {}, false, 'it missed its deadline (DEADLINE)'],
    ['NODE_FAIL', {}, {}, true, 'the node it ran on failed (NODE_FAIL)'],
    ['BOOT_FAIL', {}, {}, true, 'its node failed to boot (BOOT_FAIL)'],
    ['PREEMPTED', {}, {}, true, 'SLURM preempted it (PREEMPTED)'],
  ])('%s %j %j → retryable %s: %s', (state, over, status, retryable, reason) => {
    expect(classifyEnd(input(state, over, status))).toMatchObject({ kind: 'failed', retryable, reason });
  });

  it('waits to learn who cancelled a task; one nocturne cancelled is interrupted, not failed', () => {
    expect(classifyEnd(input('CANCELLED'))).toEqual({ kind: 'wait' });
    expect(
      classifyEnd(input('CANCELLED', { cancelledByUs: 'at the stage timeout (20s)', neverStarted: { reason: 'ReqNodeNotAvail' } })),
    ).toEqual({
      kind: 'interrupted',
      reason: 'cancelled by nocturne at the stage timeout (20s), before it started (it was waiting: ReqNodeNotAvail)',
    });
    expect(classifyEnd(input('CANCELLED', { cancelledByUs: 'at the stage timeout (20s)' }))).toMatchObject({
      kind: 'interrupted',
      reason: 'cancelled by nocturne at the stage timeout (20s), while it ran',
    });
  });

  it('retries retryable failures up to `retries` attempts after the first', () => {
    const retryable = { kind: 'failed', retryable: true, reason: '', exitCode: null, signal: null } as const;
    expect(nextStep(retryable, 1, 2)).toBe('retry');
    expect(nextStep(retryable, 2, 2)).toBe('retry');
    expect(nextStep(retryable, 3, 2)).toBe('give-up');
    expect(nextStep({ ...retryable, retryable: false }, 1, 2)).toBe('give-up');
    expect(nextStep({ kind: 'completed', outputs: [] }, 3, 0)).toBe('done');
  });

  it('names signals and memory', () => {
    expect(signalName(15)).toBe('signal 15 (SIGTERM)');
    expect(signalName(99)).toBe('signal 99');
    expect(formatMiB(100 * 1024 ** 2)).toBe('100M');
    expect(formatMiB(414416 * 1024)).toBe('405M');
  });
});
