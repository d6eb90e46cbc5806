import { describe, expect, it } from 'vitest';
import { checkSlurmPath, sbatchArgs, sbatchEnvironment } from '../../../src/executors/slurm/sbatch-args.js';
import type { JobSpec } from '../../../src/executors/types.js';

const job: JobSpec = {
  name: 'noc-sdoss-0123456789',
  jobDir: '/var/lib/nocturne/work/run/sdoss/0123456789',
  scriptPath: '/var/lib/nocturne/work/run/sdoss/0123456789/job.sh',
  logPattern: '/var/log/nocturne/sdoss/2026-11-20/noc-sdoss-0123456789.%a.log',
  taskCount: 3,
  array: { throttle: 8 },
  resources: { partition: 'debug', account: 'hfc', time: '01:00:00', mem: '1G', cpus: 2 },
};

describe('sbatchArgs', () => {
  it('builds a job array: every option one --opt=value token, the values after the script', () => {
    expect(sbatchArgs(job)).toEqual([
      '--parsable',
      '--job-name=noc-sdoss-0123456789',
      '--array=0-2%8',
      '--partition=debug',
      '--account=hfc',
      '--time=01:00:00',
      '--mem=1G',
      '--cpus-per-task=2',
      '--output=/var/log/nocturne/sdoss/2026-11-20/noc-sdoss-0123456789.%a.log',
      '--no-requeue',
      '--export=ALL',
      '/var/lib/nocturne/work/run/sdoss/0123456789/job.sh',
      '/var/lib/nocturne/work/run/sdoss/0123456789',
    ]);
  });

  it("puts a campaign's jobs below the nightly ones: --qos and --nice, and no --nice=0", () => {
    const args = sbatchArgs({ ...job, resources: { ...job.resources, nice: 1000, qos: 'campaign' } });
    expect(args.slice(5, 7)).toEqual(['--qos=campaign', '--nice=1000']);
    expect(sbatchArgs({ ...job, resources: { ...job.resources, nice: 0 } })).toEqual(sbatchArgs(job));
    expect(() => sbatchArgs({ ...job, resources: { ...job.resources, qos: 'a b' } })).toThrow('qos "a b" is not valid for SLURM');
  });

  it('builds a single job: no --array, the task index as last argument, its own log file', () => {
    const args = sbatchArgs({ ...job, taskCount: 1, array: undefined, resources: { time: '30', mem: '512M', cpus: 1 } });
    expect(args).not.toContain('--array=0-0%8');
    expect(args.filter((a) => a.startsWith('--partition') || a.startsWith('--account'))).toEqual([]);
    expect(args).toContain('--output=/var/log/nocturne/sdoss/2026-11-20/noc-sdoss-0123456789.0.log');
    expect(args.slice(-3)).toEqual([job.scriptPath, job.jobDir, '0']);
  });

  it.each([
    ['a job name with a space', { name: 'noc sdoss' }, /job name "noc sdoss"/],
    ['an option smuggled in as a partition', { resources: { ...job.resources, partition: '--uid=0' } }, /partition "--uid=0"/],
    ['a bad time', { resources: { ...job.resources, time: 'bogus' } }, /time limit "bogus"/],
    ['a bad memory size', { resources: { ...job.resources, mem: '1 G' } }, /memory "1 G"/],
    ['a throttle of 0', { array: { throttle: 0 } }, /throttle 0/],
    ['a log path with a %', { logPattern: '/logs/100%/x.%a.log' }, /log path/],
    ['a relative script path', { scriptPath: 'job.sh' }, /batch script "job.sh"/],
  ])('refuses %s', (_, change, message) => {
    expect(() => sbatchArgs({ ...job, ...change })).toThrow(message);
  });

  it('refuses a single job of several tasks', () => {
    expect(() => sbatchArgs({ ...job, array: undefined })).toThrow(/a single job runs one task, not 3/);
  });

  it('checks paths handed to SLURM', () => {
    expect(checkSlurmPath('/a/b', 'x')).toBe('/a/b');
    expect(() => checkSlurmPath('/a\nb', 'x')).toThrow(/line breaks/);
  });
});

describe('sbatchEnvironment', () => {
  it('submits from a filtered environment, keeping SLURM settings and dropping secrets', () => {
    expect(sbatchEnvironment({ PATH: '/bin', SLURM_CONF: '/etc/slurm.conf', PGPASSWORD: 'x', AWS_SECRET_ACCESS_KEY: 'y' })).toEqual({
      PATH: '/bin',
      SLURM_CONF: '/etc/slurm.conf',
    });
  });
});
