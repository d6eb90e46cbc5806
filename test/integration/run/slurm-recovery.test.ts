/**
 * The run stage on the rig's real SLURM when things go wrong around the jobs: nocturne
 * killed mid-run, a submission never confirmed, a cluster without accounting, a job that
 * can never start.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobLedger } from '../../../src/stages/run/job-ledger.js';
import {
  createHarness,
  endedInAccounting,
  eventually,
  NIGHT,
  observationStates,
  outboxFiles,
  recordingCommands,
  slurm,
  slurmTaskId,
  tasksOf,
  type Harness,
} from '../../../harness/run-harness.js';

/** A job whose token was saved but which never reached sbatch (nocturne died in between). */
async function ghostJob(h: Harness, P: string, token = '00deadbeef'): Promise<number> {
  const input = await h.writeObs(P, NIGHT, 'ghost', { seed: 3 });
  const store = new JobLedger(h.t.db, P);
  await store.register([{ input, obs: 'ghost', night: NIGHT }]);
  return store.createJob({
    token,
    name: `noc-${P}-${token}`,
    pipeline: P,
    runId: null,
    executor: 'slurm',
    isArray: false,
    jobDir: path.join(h.dir, `work/run/${P}/${token}`),
    scriptPath: path.join(h.dir, `work/run/${P}/${token}/job.sh`),
    argv: ['sbatch'],
    codeVersion: '1',
    tasks: [{ index: 0, input, obs: 'ghost', night: NIGHT, attempt: 1, logPath: path.join(h.dir, `${P}-ghost.log`) }],
  });
}

describe.concurrent('run stage on SLURM: recovery', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('recovery', 'slurm', { lostAfter: '3s' });
  });
  afterAll(async () => h?.close());

  it('re-attaches after nocturne is killed with -9 and submits nothing twice', async () => {
    const P = 'reattach';
    const { commands, calls } = await recordingCommands(h.dir, ['sbatch', 'squeue', 'sacct']);
    const options = { commands };
    // One job per observation (no `array`): two sbatch calls.
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'one', { seed: 1, features: 1, sleep: 4 });
    await h.writeObs(P, NIGHT, 'two', { seed: 2, features: 1, sleep: 4 });

    const child = await h.spawn(pipeline, options);
    const exited = once(child, 'exit');
    await eventually(async () => {
      const running = await h.t.db.one<{ n: number }>(
        `SELECT count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state = 'running'`,
        [P],
      );
      return running.n === 2;
    }, 'both tasks to run');
    child.kill('SIGKILL');
    await exited;
    expect(await calls('sbatch')).toHaveLength(2);

    const outcome = await h.run(pipeline, options);
    expect(outcome).toMatchObject({ ok: true, stats: { jobs: 0, submitted: 0, completed: 2, failed: 0, lost: 0 } });
    expect(await calls('sbatch')).toHaveLength(2);
    const names = (await h.t.db.any<{ name: string }>('SELECT name FROM jobs WHERE pipeline = $1 ORDER BY name', [P])).map((r) => r.name);
    expect(names).toHaveLength(2);
    expect(await endedInAccounting(names)).toEqual(names.map((n) => `${n}|COMPLETED`));
    // Every poll is one squeue and one sacct call for all live jobs, never one per job.
    const sacctCalls = await calls('sacct');
    expect(sacctCalls.length).toBe((await calls('squeue')).length);
    expect(sacctCalls[0]).toMatch(new RegExp(`--name=(${names.join(',')}|${[...names].reverse().join(',')}) `));
    expect((await tasksOf(h.t, P)).map((t) => [t.obs, t.attempt, t.state])).toEqual([
      ['one', 1, 'completed'],
      ['two', 1, 'completed'],
    ]);
    // Each observation's quicklook, init and feat files, and the code's two metadata files.
    expect(await outboxFiles(h.outbox(P))).toHaveLength(8);
  });

  it('declares a job that SLURM never heard of LOST, never a success, and submits the observation again', async () => {
    const P = 'lost';
    const pipeline = h.pipeline(P);
    await ghostJob(h, P);

    const outcome = await h.run(pipeline);
    expect(outcome).toMatchObject({ ok: true, stats: { lost: 1, completed: 1, failed: 0, jobs: 1 } });
    const [ghost, real] = await tasksOf(h.t, P);
    expect(ghost).toMatchObject({ attempt: 1, state: 'lost', retryable: true });
    expect(ghost!.reason).toContain('(LOST)');
    // Never started, so not held against the observation: the next attempt is still the first.
    expect(real).toMatchObject({ attempt: 1, state: 'completed' });
    expect(await observationStates(h.t, P)).toEqual({ ghost: 'done' });
  });

  it('falls back to scontrol show job when sacct says accounting is disabled', async () => {
    const P = 'noacct';
    const { commands, calls } = await recordingCommands(h.dir, ['scontrol', 'sacct'], { sacct: 'disabled' });
    const pipeline = h.pipeline(P, { array: { throttle: 2 } });
    await h.writeObs(P, NIGHT, 'x', { seed: 4 });
    await h.writeObs(P, NIGHT, 'y', { seed: 5, exit: 2 });

    const outcome = await h.run(pipeline, { commands });
    expect(outcome.stats).toMatchObject({ completed: 1, failed: 1 });
    expect(await calls('sacct')).toHaveLength(1);
    expect((await calls('scontrol')).filter((c) => c.includes(' show job')).length).toBeGreaterThanOrEqual(1);
    expect((await tasksOf(h.t, P)).map((t) => [t.obs, t.state, t.exit_code])).toEqual([
      ['x', 'completed', 0],
      ['y', 'failed', 2],
    ]);
  });

  it('cancels a job that can never start and reports it as an error of the run', async () => {
    const P = 'hopeless';
    // The rig's node has 8 CPUs: a task asking for 9 stays PENDING (PartitionConfig) forever.
    const pipeline = h.pipeline(P, { slurm: { time: '00:05:00', mem: '200M', cpus: 9 } });
    await h.writeObs(P, NIGHT, 'big', { seed: 6 });

    const outcome = await h.run(pipeline);
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain('can never start');
    const [task] = await tasksOf(h.t, P);
    expect(task).toMatchObject({ state: 'interrupted', scheduler_state: 'CANCELLED' });
    expect(task!.reason).toContain('cancelled by nocturne because it can never start (PartitionConfig), before it started');
    // Not the observation's fault: it waits for the next run, after the configuration is fixed.
    expect(await observationStates(h.t, P)).toEqual({ big: 'pending' });
    const id = await slurmTaskId(h.t, P, 'big');
    await eventually(async () => (await slurm('squeue', ['-h', '--states=all', '-j', id!, '-o', '%T'])).trim() === 'CANCELLED', 'scancel');
  });

  it('prints what a dry run would submit, and changes nothing', async () => {
    const P = 'dryrun';
    const pipeline = h.pipeline(P, { array: { throttle: 2 } });
    await h.writeObs(P, NIGHT, 'first', { seed: 8 });
    await h.writeObs(P, NIGHT, 'second', { seed: 9 });
    const printed: string[] = [];

    const outcome = await h.run(pipeline, { extra: { dryRun: true, print: (line) => printed.push(line) } });
    expect(outcome).toMatchObject({ ok: true, summary: 'dry run: 1 job(s) would be submitted' });
    expect(printed[0]).toContain('2 observations found, 0 done earlier, 0 failed earlier and set aside');
    expect(printed.find((l) => l.startsWith('  submit: '))).toMatch(
      /^ {2}submit: sbatch --parsable --job-name=noc-dryrun-[0-9a-f]{10} --array=0-1%2 /,
    );
    expect(printed.filter((l) => l.startsWith('  task '))).toHaveLength(2);
    const rows = await h.t.db.one<{ n: number }>(
      `SELECT (SELECT count(*) FROM observations WHERE pipeline = $1) + (SELECT count(*) FROM jobs WHERE pipeline = $1) AS n`,
      [P],
    );
    expect(Number(rows.n)).toBe(0);
    await expect(readFile(path.join(h.dir, 'work/run', P), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await outboxFiles(h.outbox(P))).toEqual([]);
  });

  it('returns on shutdown without cancelling SLURM jobs, which the next run re-attaches', async () => {
    const P = 'shutdown';
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'keeps-running', { seed: 10, sleep: 3 });
    const controller = new AbortController();

    const stage = h.run(pipeline, { extra: { signal: controller.signal } });
    await eventually(async () => (await tasksOf(h.t, P))[0]?.state === 'running', 'the task to run');
    controller.abort(new Error('SIGTERM'));
    const outcome = await stage;
    expect(outcome.error?.code).toBe('ABORTED');
    expect(outcome.error?.message).toContain('1 task(s) left running for the next run');
    const id = await slurmTaskId(h.t, P, 'keeps-running');
    expect((await slurm('squeue', ['-h', '--states=all', '-j', id!, '-o', '%T'])).trim()).toMatch(/^(RUNNING|COMPLETING|COMPLETED)$/);

    const again = await h.run(pipeline);
    expect(again).toMatchObject({ ok: true, stats: { jobs: 0, submitted: 0, completed: 1 } });
  });
});

describe('run stage on SLURM: a submission never confirmed, long ago', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('recovery-old', 'slurm', { lostAfter: '10m' });
  });
  afterAll(async () => h?.close());

  // A pending array task cancelled before SLURM split it off never reaches sacct, and
  // squeue forgets it: with a clock started again at each run, runs shorter than
  // lostAfter followed it forever (the fault suite's night, 163 tasks).
  it('counts the LOST delay of a task it asked SLURM to cancel from the first request', async () => {
    const P = 'forgotten';
    const id = await ghostJob(h, P, '00feedface');
    await h.t.db.none(`UPDATE jobs SET scheduler_id = '999999', state = 'submitted' WHERE id = $1`, [id]);
    await h.t.db.none(`UPDATE job_tasks SET cancel_requested_at = now() - interval '1 hour' WHERE job = $1`, [id]);
    const outcome = await h.run(h.pipeline(P));
    expect(outcome).toMatchObject({ ok: true, stats: { lost: 1, completed: 1, failed: 0 } });
    expect(await observationStates(h.t, P)).toEqual({ ghost: 'done' });
  });

  it('counts the LOST delay from the submission, not from each restart', async () => {
    const P = 'old';
    const id = await ghostJob(h, P);
    await h.t.db.none(`UPDATE jobs SET created_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    // lostAfter is 10 minutes: only the submission time can make the ghost LOST at once.
    const outcome = await h.run(h.pipeline(P));
    expect(outcome).toMatchObject({ ok: true, stats: { lost: 1, completed: 1, failed: 0 } });
    expect(await observationStates(h.t, P)).toEqual({ ghost: 'done' });
  });
});
