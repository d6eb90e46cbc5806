import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { SlurmExecutor, slurmTime } from '../../../src/executors/slurm/slurm-executor.js';
import type { JobSpec } from '../../../src/executors/types.js';
import { fakeRunner, fakeTable, silent, trackedJob, type Call } from './fakes.js';

const spec: JobSpec = {
  name: 'noc-p-0123456789',
  jobDir: '/w/0123456789',
  scriptPath: '/w/0123456789/job.sh',
  logPattern: '/l/noc-p-0123456789.%a.log',
  taskCount: 1,
  resources: { time: '10', mem: '1G', cpus: 1 },
};

function executor(reply: (call: Call) => { code?: number; stdout?: string; stderr?: string }, processes = fakeTable()) {
  const runner = fakeRunner(reply);
  const slurm = new SlurmExecutor({
    runner,
    logger: silent,
    lostAfterMs: 60_000,
    env: { PATH: '/usr/bin', SLURM_CONF: '/etc/slurm/slurm.conf', PGPASSWORD: 'secret' },
    commands: { sbatch: '/opt/slurm/bin/sbatch' },
    processes,
  });
  return { runner, slurm };
}

describe('SlurmExecutor', () => {
  it('submits with the argv it describes, from a filtered environment, and returns the job id', async () => {
    const { runner, slurm } = executor(() => ({ stdout: '77\n' }));
    await expect(slurm.submit(spec)).resolves.toBe('77');
    expect([runner.calls[0]!.command, ...runner.calls[0]!.args]).toEqual(slurm.describe(spec));
    expect(runner.calls[0]!.env).toEqual({ PATH: '/usr/bin', SLURM_CONF: '/etc/slurm/slurm.conf' });
  });

  it.each([
    ['Batch job submission failed: Invalid partition name specified', false, false],
    ['fetch_config: DNS SRV lookup failed / sbatch: fatal: Could not establish a configuration source', true, false],
    ['Batch job submission failed: Unable to contact slurm controller (connect failure)', true, false],
    ['Batch job submission failed: Socket timed out on send/recv operation', true, true],
  ])('tells a refusal from an unknown outcome: %s', async (stderr, retryable, maybeSubmitted) => {
    const { slurm } = executor(() => ({ code: 1, stderr: `sbatch: error: ${stderr}\n` }));
    await expect(slurm.submit(spec)).rejects.toMatchObject({ code: 'SLURM_SUBMIT_FAILED', retryable, details: { maybeSubmitted } });
  });

  it('reads a client without configuration as SLURM out of reach, saying how to give it one', async () => {
    const stderr =
      'sbatch: error: _establish_config_source: failed to fetch config\nsbatch: fatal: Could not establish a configuration source\n';
    const { slurm } = executor(() => ({ code: 1, stderr }));
    const error = await slurm.submit(spec).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'SLURM_SUBMIT_FAILED', retryable: true, details: { unreachable: true, maybeSubmitted: false } });
    expect((error as Error).message).toMatch(
      /not submitted: the SLURM client has no configuration: set SLURM_CONF to the cluster's slurm\.conf in nocturne's environment \(its systemd unit\) \(exit 1: .*Could not establish a configuration source\)$/,
    );
  });

  it('reads MaxArraySize once from scontrol show config; a failure is asked again next time', async () => {
    let answers = 0;
    const { runner, slurm } = executor(() =>
      ++answers === 1
        ? { code: 1, stderr: 'slurm_load_ctl_conf error: Unable to contact slurm controller' }
        : { stdout: 'MaxArraySize            = 64\nMaxJobCount = 10000\n' },
    );
    await expect(slurm.maxArrayTasks()).resolves.toBeNull();
    await expect(slurm.maxArrayTasks()).resolves.toBe(64);
    await expect(slurm.maxArrayTasks()).resolves.toBe(64);
    expect(runner.calls.map((c) => [c.command, ...c.args])).toEqual(Array(2).fill(['scontrol', 'show', 'config']));
  });

  it('treats sbatch killed at its deadline as possibly submitted', async () => {
    const runner = {
      run: async () => {
        throw new NocturneError('TIMEOUT', 'sbatch: no answer within 60000 ms', { retryable: true });
      },
    };
    const slurm = new SlurmExecutor({ runner, logger: silent, lostAfterMs: 1 });
    await expect(slurm.submit(spec)).rejects.toMatchObject({ code: 'SLURM_SUBMIT_FAILED', details: { maybeSubmitted: true } });
  });

  it('polls any number of jobs with one squeue and one sacct call, selected by name', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => trackedJob(`noc-p-${i}`, { createdAt: new Date(2026, 10, 20, 12, i) }));
    const { runner, slurm } = executor(({ command }) =>
      command === 'sacct' ? { stdout: '5_0|6|noc-p-3|COMPLETED|0:0|None|node07\n' } : { stdout: '5_1|RUNNING|None|0|node08|noc-p-3\n' },
    );
    const result = await slurm.poll(jobs);
    expect(runner.calls.map((c) => c.command).sort()).toEqual(['sacct', 'squeue']);
    const names = jobs.map((j) => j.name).join(',');
    const sacct = runner.calls.find((c) => c.command === 'sacct')!;
    expect(sacct.args).toContain(`--name=${names}`);
    // An hour before the oldest job, in the local time of the host, as sacct reads it.
    expect(sacct.args).toContain('--starttime=2026-11-20T11:00:00');
    expect(runner.calls.find((c) => c.command === 'squeue')!.args).toContain(`--name=${names}`);
    expect(result).toEqual({
      complete: true,
      statuses: [
        {
          name: 'noc-p-3',
          schedulerId: '5',
          index: 0,
          state: 'COMPLETED',
          reason: null,
          exitCode: 0,
          signal: null,
          cancelledBy: null,
          node: 'node07',
        },
        {
          name: 'noc-p-3',
          schedulerId: '5',
          index: 1,
          state: 'RUNNING',
          reason: null,
          exitCode: null,
          signal: null,
          cancelledBy: null,
          node: 'node08',
        },
      ],
    });
  });

  it('falls back to scontrol for good once sacct says accounting is disabled', async () => {
    const { runner, slurm } = executor(({ command }) => {
      if (command === 'sacct') return { code: 1, stderr: 'sacct: error: Slurm accounting storage is disabled\n' };
      if (command === 'scontrol') return { stdout: 'JobId=9 JobName=noc-a JobState=COMPLETED Reason=None ExitCode=0:0\n' };
      return {};
    });
    const jobs = [trackedJob('noc-a', { isArray: false, taskCount: 1 })];
    const first = await slurm.poll(jobs);
    const second = await slurm.poll(jobs);
    expect(runner.calls.map((c) => c.command)).toEqual(['squeue', 'sacct', 'scontrol', 'squeue', 'scontrol']);
    expect(runner.calls[2]!.args).toEqual(['--oneliner', 'show', 'job']);
    expect(first.statuses).toMatchObject([{ name: 'noc-a', schedulerId: '9', index: 0, state: 'COMPLETED' }]);
    expect(second).toEqual(first);
  });

  it('reports an incomplete poll when a query fails, so that nothing is declared lost', async () => {
    const { slurm } = executor(({ command }) =>
      command === 'squeue' ? { code: 1, stderr: 'slurm_load_jobs error: Unable to contact slurm controller' } : {},
    );
    await expect(slurm.poll([trackedJob('noc-a')])).resolves.toEqual({ statuses: [], complete: false });
  });

  it('cancels array tasks and single jobs in one scancel, unconfirmed jobs by name', async () => {
    const { runner, slurm } = executor(() => ({}));
    await slurm.cancel([
      { job: trackedJob('noc-a', { schedulerId: '5' }), index: 1 },
      { job: trackedJob('noc-b', { schedulerId: '8', isArray: false, taskCount: 1 }), index: 0 },
      { job: trackedJob('noc-c'), index: 0 },
    ]);
    expect(runner.calls.map((c) => [c.command, ...c.args])).toEqual([
      ['scancel', '5_1', '8'],
      ['scancel', '--me', '--name=noc-c'],
    ]);
  });

  it('stops an sbatch still submitting an unconfirmed job (left by a killed nocturne) before cancelling it by name', async () => {
    const idle = ['-e', 'setInterval(() => {}, 1000)'];
    const [orphan, other] = [spawn(process.execPath, idle), spawn(process.execPath, idle)];
    try {
      const killed = once(orphan, 'exit');
      const table = fakeTable([
        { pid: orphan.pid!, argv: ['sbatch', '--parsable', '--job-name=noc-c', '/w/c/job.sh'] },
        { pid: other.pid!, argv: ['sbatch', '--parsable', '--job-name=noc-cc', '/w/cc/job.sh'] },
      ]);
      const { runner, slurm } = executor(() => ({}), table);
      await slurm.cancel([{ job: trackedJob('noc-c'), index: 0 }]);
      expect(await killed).toEqual([null, 'SIGKILL']);
      expect(other.exitCode === null && other.signalCode === null).toBe(true);
      expect(runner.calls.map((c) => [c.command, ...c.args])).toEqual([['scancel', '--me', '--name=noc-c']]);
    } finally {
      orphan.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });

  it('formats sacct times in local time', () => {
    expect(slurmTime(new Date(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05');
  });
});
