import { describe, expect, it } from 'vitest';
import { sbatchArgs } from '../../../src/executors/slurm/sbatch-args.js';
import { arrayLimit, expandCommand, jobName, MAX_ARRAY_TASKS, planJobs } from '../../../src/stages/run/plan.js';
import { resolveRunSettings } from '../../../src/stages/run/settings.js';
import type { PendingObservation } from '../../../src/stages/run/job-ledger.js';
import { testConfig } from './config.js';

const observations = (n: number): PendingObservation[] =>
  Array.from({ length: n }, (_, i) => ({
    input: `/data/hmi/o${i}.obs`,
    obs: `o${i}`,
    night: '2026-11-20',
    failures: i % 2,
    retryAt: null,
  }));
const tokens = () => {
  let n = 0;
  return () => `tok${String(++n).padStart(7, '0')}`;
};

describe('planJobs', () => {
  it('plans one job array per night, split at the array size limit', () => {
    const settings = resolveRunSettings(testConfig({ array: { throttle: 8 } }));
    const jobs = planJobs(settings, observations(2 * MAX_ARRAY_TASKS + 5), '2026-11-20', tokens());
    expect(jobs.map((j) => [j.spec.name, j.spec.taskCount, j.spec.array])).toEqual([
      ['noc-sdoss-tok0000001', 1000, { throttle: 8 }],
      ['noc-sdoss-tok0000002', 1000, { throttle: 8 }],
      ['noc-sdoss-tok0000003', 5, { throttle: 8 }],
    ]);
    expect(sbatchArgs(jobs[2]!.spec)).toContain('--array=0-4%8');
  });

  it("cuts arrays to the cluster's limit, and plans single jobs where it disables arrays", async () => {
    const settings = resolveRunSettings(testConfig({ array: { throttle: 8 } }));
    const limit = (max: number | null) => arrayLimit({ maxArrayTasks: async () => max });
    expect([await limit(null), await limit(5000), await limit(64), await limit(0)]).toEqual([MAX_ARRAY_TASKS, MAX_ARRAY_TASKS, 64, 0]);
    expect(planJobs(settings, observations(130), '2026-11-20', tokens(), 64).map((j) => j.spec.taskCount)).toEqual([64, 64, 2]);
    const singles = planJobs(settings, observations(2), '2026-11-20', tokens(), 0);
    expect(singles.map((j) => [j.spec.taskCount, j.spec.array])).toEqual([
      [1, undefined],
      [1, undefined],
    ]);
  });

  it('plans one job per observation without `array`, with placeholders filled in', () => {
    const settings = resolveRunSettings(testConfig());
    const [first, second] = planJobs(settings, observations(2), '2026-11-21', tokens());
    expect(first!.spec).toEqual({
      name: 'noc-sdoss-tok0000001',
      jobDir: '/var/lib/nocturne/work/run/sdoss/tok0000001',
      scriptPath: '/var/lib/nocturne/work/run/sdoss/tok0000001/job.sh',
      logPattern: '/var/log/nocturne/sdoss/2026-11-21/noc-sdoss-tok0000001.%a.log',
      taskCount: 1,
      array: undefined,
      resources: settings.resources,
    });
    expect(second!.tasks).toEqual([
      {
        index: 0,
        input: '/data/hmi/o1.obs',
        obs: 'o1',
        night: '2026-11-20',
        attempt: 2,
        argv: [
          '/etc/nocturne/bin/detect',
          '--input',
          '/data/hmi/o1.obs',
          '--obs=o1',
          '--night',
          '2026-11-20',
          '--outdir',
          '/var/lib/nocturne/work/run/sdoss/tok0000002/task-0/out',
          '{other}',
        ],
        logPath: '/var/log/nocturne/sdoss/2026-11-21/noc-sdoss-tok0000002.0.log',
      },
    ]);
    expect(second!.script).toContain('outdir="$task_dir/out"');
  });

  it('keeps job names within what SLURM accepts', () => {
    expect(jobName('a'.repeat(63), '0123456789')).toMatch(/^noc-a{40}-0123456789$/);
    expect(expandCommand(['{input}{input}', '{nope}'], { input: 'i', obs: 'o', date: 'd', outdir: 'x' })).toEqual(['ii', '{nope}']);
  });
});
