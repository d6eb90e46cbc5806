import { describe, expect, it } from 'vitest';
import { mergeStatuses } from '../../../src/executors/slurm/merge.js';
import type { SchedulerRow } from '../../../src/executors/slurm/parse.js';
import { trackedJob } from './fakes.js';

const row = (over: Partial<SchedulerRow>): SchedulerRow => ({
  name: 'noc-a',
  schedulerId: '7',
  indices: [0],
  state: 'RUNNING',
  reason: null,
  exitCode: null,
  signal: null,
  cancelledBy: null,
  node: null,
  ...over,
});
const brief = (s: { index: number; state: string }) => [s.index, s.state];

describe('mergeStatuses', () => {
  const job = trackedJob('noc-a', { schedulerId: '7', taskCount: 3 });

  it('takes a terminal accounting row as final, and squeue where sacct lags', () => {
    const accounting = [row({ indices: [0], state: 'COMPLETED', exitCode: 0 }), row({ indices: [1, 2], state: 'PENDING' })];
    const live = [row({ indices: [0], state: 'COMPLETING' }), row({ indices: [1], state: 'RUNNING' })];
    expect(mergeStatuses([job], accounting, live).map(brief)).toEqual([
      [0, 'COMPLETED'],
      [1, 'RUNNING'],
      [2, 'PENDING'],
    ]);
  });

  it('uses squeue alone for array tasks not yet in sacct', () => {
    expect(mergeStatuses([job], [], [row({ indices: [2], state: 'FAILED', exitCode: 3, node: 'vm' })])).toEqual([
      {
        name: 'noc-a',
        schedulerId: '7',
        index: 2,
        state: 'FAILED',
        reason: null,
        exitCode: 3,
        signal: null,
        cancelledBy: null,
        node: 'vm',
      },
    ]);
  });

  it('reads the bare id of an array cancelled before any task was split off as every task not named otherwise', () => {
    const array = trackedJob('noc-a', { schedulerId: '917', taskCount: 3, live: [0, 1, 2] });
    const accounting = [
      row({ schedulerId: '917', indices: null, state: 'CANCELLED', cancelledBy: 0 }),
      row({ schedulerId: '917', indices: [2], state: 'COMPLETED' }),
    ];
    const live = [row({ schedulerId: '917', indices: null, state: 'CANCELLED' })];
    expect(mergeStatuses([array], accounting, live).map((s) => [s.index, s.state, s.cancelledBy])).toEqual([
      [2, 'COMPLETED', null],
      [0, 'CANCELLED', 0],
      [1, 'CANCELLED', 0],
    ]);
    expect(mergeStatuses([array], [], live).map((s) => [s.index, s.state])).toEqual([
      [0, 'CANCELLED'],
      [1, 'CANCELLED'],
      [2, 'CANCELLED'],
    ]);
  });

  it('ignores other jobs, other ids under our name, and indices out of range', () => {
    const rows = [row({ name: 'someone-else' }), row({ schedulerId: '99' }), row({ indices: [5] })];
    expect(mergeStatuses([job], rows, rows)).toEqual([]);
  });

  it('gives a single job the index 0, and learns the id of an unconfirmed job', () => {
    const single = trackedJob('noc-s', { isArray: false, taskCount: 1 });
    const statuses = mergeStatuses([single], [row({ name: 'noc-s', schedulerId: '31', indices: null, state: 'COMPLETED' })], []);
    expect(statuses).toMatchObject([{ name: 'noc-s', schedulerId: '31', index: 0, state: 'COMPLETED' }]);
  });
});
