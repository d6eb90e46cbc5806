import { describe, expect, it } from 'vitest';
import type { JobDetail, RunDetail, TaskDetail } from '../../../src/monitor/data/run.js';
import { runPage } from '../../../src/monitor/pages/run.js';

const task = (index: number, state: string): TaskDetail => ({
  index,
  obs: `obs-${index}`,
  input: `/obs/${index}`,
  attempt: 1,
  state,
  schedulerState: null,
  exitCode: state === 'failed' ? 3 : 0,
  signal: null,
  reason: null,
  node: 'vm',
  elapsedSeconds: 1,
  logPath: `/logs/${index}.log`,
  logTail: null,
});
const job = (tasks: TaskDetail[]): JobDetail => ({
  id: 1,
  name: 'noc-sdoss-ab12',
  executor: 'local',
  schedulerId: null,
  isArray: true,
  codeVersion: null,
  state: 'finished',
  submittedAt: null,
  finishedAt: null,
  error: null,
  tasks,
});
const heading = (j: JobDetail) => {
  const detail: RunDetail = {
    run: {
      id: 7,
      pipeline: 'sdoss',
      stage: 'run',
      night: '2026-11-21',
      slot: '2026-11-21T02:00:00.000Z',
      trigger: 'schedule',
      state: 'failed',
      attempt: 1,
      host: 'h',
      startedAt: '2026-11-21T02:00:00.000Z',
      finishedAt: '2026-11-21T02:01:00.000Z',
      durationSeconds: 60,
      errorCode: null,
      error: null,
      stats: {},
    },
    jobs: [j],
    files: [],
    loads: [],
    rows: [],
  };
  return /<h3>([\s\S]*?)<\/h3>/.exec(runPage(detail).main.toString())![1]!;
};

describe('the run page', () => {
  it('shows a job whose tasks all failed as failed, one with some failed as how many, else finished', () => {
    expect(heading(job([task(0, 'failed'), task(1, 'lost')]))).toContain('<span class="o o-failed">failed</span>');
    expect(heading(job([task(0, 'failed'), task(1, 'completed')]))).toContain('<span class="o o-failed">1 of 2 tasks failed</span>');
    expect(heading(job([task(0, 'completed')]))).toMatch(/<span class="o o-other">finished<\/span>$/);
  });
});
