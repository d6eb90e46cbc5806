import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ExitMarker } from '../../../src/executors/job-files.js';
import { LocalExecutor } from '../../../src/executors/local/local-executor.js';
import type { JobSpec } from '../../../src/executors/types.js';
import { fakeLauncher, fakeTable, trackedJob } from './fakes.js';

const spec = (name: string, taskCount: number): JobSpec => ({
  name,
  jobDir: `/work/${name}`,
  scriptPath: `/work/${name}/job.sh`,
  logPattern: `/logs/${name}.%a.log`,
  taskCount,
  array: { throttle: taskCount },
  resources: { time: '10', mem: '1G', cpus: 1 },
});
const settle = () => new Promise((resolve) => setImmediate(resolve));
const states = async (e: LocalExecutor, name: string, taskCount: number) =>
  (await e.poll([trackedJob(name, { taskCount })])).statuses.map((s) => [s.index, s.state, s.exitCode, s.signal]);

describe('LocalExecutor', () => {
  it('runs at most `concurrency` tasks, in their own log files, and starts the next as one ends', async () => {
    const launcher = fakeLauncher();
    const markers = new Map<string, ExitMarker>();
    const e = new LocalExecutor({
      concurrency: 2,
      launcher,
      processes: fakeTable(),
      readMarker: async (dir, i) => markers.get(`${dir}/${i}`) ?? null,
      env: { PATH: '/usr/bin', DB_PASSWORD: 'secret' },
    });
    await e.submit(spec('noc-a', 3));
    expect(launcher.launched.map((c) => [c.argv, c.logPath])).toEqual([
      [['bash', '/work/noc-a/job.sh', '/work/noc-a', '0'], '/logs/noc-a.0.log'],
      [['bash', '/work/noc-a/job.sh', '/work/noc-a', '1'], '/logs/noc-a.1.log'],
    ]);
    expect(await states(e, 'noc-a', 3)).toEqual([
      [0, 'RUNNING', null, null],
      [1, 'RUNNING', null, null],
      [2, 'PENDING', null, null],
    ]);
    const nodes = async () => (await e.poll([trackedJob('noc-a', { taskCount: 3 })])).statuses.map((s) => s.node ?? null);
    // Where a task runs: this host; a queued task runs nowhere yet.
    expect(await nodes()).toEqual([hostname(), hostname(), null]);
    markers.set('/work/noc-a/0', { rc: 0, outputsIn: 'task', csv: ['x.csv'], quicklooks: [], left: [], links: [], notUtf8: [] });
    launcher.launched[0]!.exit({ code: 0, signal: null });
    launcher.launched[1]!.exit({ code: null, signal: 'SIGKILL' });
    await settle();
    expect(launcher.launched).toHaveLength(3);
    expect(await states(e, 'noc-a', 3)).toEqual([
      [0, 'COMPLETED', 0, null],
      [1, 'FAILED', null, 9],
      [2, 'RUNNING', null, null],
    ]);
    expect(await nodes()).toEqual([hostname(), hostname(), hostname()]);
  });

  it('finds tasks left running by an earlier nocturne, reads their markers, and forgets nothing', async () => {
    const table = fakeTable([{ pid: 4242, argv: ['bash', '/work/noc-b/job.sh', '/work/noc-b', '1'] }]);
    const e = new LocalExecutor({
      concurrency: 1,
      launcher: fakeLauncher(),
      processes: table,
      readMarker: async (_, i) =>
        i === 0 ? { rc: 3, outputsIn: 'task', csv: [], quicklooks: [], left: [], links: [], notUtf8: [] } : null,
    });
    // Task 0 has ended (marker rc 3), task 1 still runs, task 2 is gone without a trace.
    expect(await states(e, 'noc-b', 3)).toEqual([
      [0, 'FAILED', 3, null],
      [1, 'RUNNING', null, null],
    ]);
  });

  it('cancels queued and running tasks; abandon() stops everything it started', async () => {
    const launcher = fakeLauncher();
    const e = new LocalExecutor({ concurrency: 1, launcher, processes: fakeTable(), readMarker: async () => null, killGraceMs: 0 });
    await e.submit(spec('noc-c', 2));
    await e.cancel([{ job: trackedJob('noc-c'), index: 0 }]);
    await settle();
    expect(launcher.killed[0]).toEqual([launcher.launched[0]!.pid, 'SIGTERM']);
    expect(await states(e, 'noc-c', 2)).toEqual([
      [0, 'CANCELLED', null, 15],
      [1, 'RUNNING', null, null],
    ]);
    await e.submit(spec('noc-d', 1));
    expect(await e.abandon()).toEqual([
      { name: 'noc-d', index: 0 },
      { name: 'noc-c', index: 1 },
    ]);
  });

  it('wakes an idle wait as soon as a task ends', async () => {
    const launcher = fakeLauncher();
    const e = new LocalExecutor({ concurrency: 1, launcher, processes: fakeTable(), readMarker: async () => null });
    await e.submit(spec('noc-e', 1));
    const started = Date.now();
    const idle = e.idle(60_000, new AbortController().signal);
    launcher.launched[0]!.exit({ code: 0, signal: null });
    await idle;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
