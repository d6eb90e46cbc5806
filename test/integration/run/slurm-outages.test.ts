/**
 * The run stage while SLURM's own daemons are down (issue 15, items 3 and 8; issue 14,
 * item 15): slurmctld gone at the stage timeout, or at submission; slurmdbd gone while
 * jobs run; a SLURM client that hangs when the stage is stopped.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { taskDir } from '../../../src/executors/job-files.js';
import { processAlive } from '../../../src/runs/holder.js';
import {
  capturedLogger,
  createHarness,
  eventually,
  NIGHT,
  observationStates,
  outboxFiles,
  slurm,
  tasksOf,
  type Harness,
} from '../../../harness/run-harness.js';
import { restoreSlurm, stopSlurmDaemon } from './slurm-control.js';

interface JobRow {
  name: string;
  state: string;
  job_dir: string;
}

describe('run stage on SLURM: outages of its daemons', () => {
  let h: Harness;
  const jobs = (P: string) => h.t.db.any<JobRow>('SELECT name, state, job_dir FROM jobs WHERE pipeline = $1 ORDER BY id', [P]);
  beforeAll(async () => {
    h = await createHarness('outages', 'slurm');
  });
  afterEach(restoreSlurm);
  afterAll(async () => h?.close());

  it('keeps following, with their directories, tasks SLURM could not be asked to cancel at the stage timeout', async () => {
    const P = 'nocancel';
    const pipeline = h.pipeline(P, { timeout: '6s', array: { throttle: 2 } });
    await h.writeObs(P, NIGHT, 'one', { seed: 1, sleep: 20 });
    await h.writeObs(P, NIGHT, 'two', { seed: 2, sleep: 20 });
    const stage = h.run(pipeline, { extra: { signal: AbortSignal.timeout(6_000) } });
    await eventually(async () => (await tasksOf(h.t, P)).filter((t) => t.state === 'running').length === 2, 'both tasks to run');
    await stopSlurmDaemon('slurmctld');

    const outcome = await stage;
    expect(outcome.error?.message).toMatch(
      /^nocancel\/run reached its stage timeout \(6s\); cancelling its 2 task\(s\) failed \(scancel [\d_ ]+ failed: exit \d+: .*Unable to contact slurm controller.*\): they stay in SLURM's hands, followed again by the next run$/,
    );
    expect(outcome.stats).toMatchObject({ failed: 0, interrupted: 0 });
    const [job] = await jobs(P);
    expect(job).toMatchObject({ state: 'submitted' });
    expect((await tasksOf(h.t, P)).map((t) => t.state)).toEqual(['running', 'running']);
    await access(taskDir(job!.job_dir, 0));
    await access(taskDir(job!.job_dir, 1));

    // The jobs ran on while slurmctld was away; the next run follows them to their end.
    await restoreSlurm();
    const next = await h.run(pipeline);
    expect(next).toMatchObject({ ok: true, stats: { jobs: 0, completed: 2, failed: 0 } });
    expect((await outboxFiles(h.outbox(P))).filter((f) => f.endsWith('_init.csv'))).toHaveLength(2);
  });

  it('names an unreachable controller at submission, counts nothing as failed, and points to no log', async () => {
    const P = 'unreachable';
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'waits', { seed: 3 });
    await stopSlurmDaemon('slurmctld');

    const outcome = await h.run(pipeline);
    expect(outcome).toMatchObject({ ok: false, stats: { failed: 0, interrupted: 1, jobs: 0, submitted: 0 } });
    expect(outcome.error).toMatchObject({ code: 'SLURM_SUBMIT_FAILED', retryable: true });
    expect(outcome.error?.message).toMatch(
      /^unreachable\/run: SLURM controller unreachable: 1 observation\(s\) not submitted, pending again for the next run \(job noc-unreachable-\w+ not submitted: SLURM controller unreachable \(exit 1: .*Unable to contact slurm controller.*\)\)$/,
    );
    const [task] = await tasksOf(h.t, P);
    expect(task).toMatchObject({ state: 'interrupted' });
    expect(task!.reason).toMatch(
      /^unreachable: observation waits \(job noc-unreachable-\w+, attempt 1\): not submitted: job noc-unreachable-\w+ not submitted: SLURM controller unreachable \(.*\); pending again, for the next run$/,
    );
    expect(await observationStates(h.t, P)).toEqual({ waits: 'pending' });

    await restoreSlurm();
    expect(await h.run(pipeline)).toMatchObject({ ok: true, stats: { submitted: 1, completed: 1 } });
  });

  it('follows with squeue while accounting is down, and says so once when it begins and once when it ends', async () => {
    const P = 'noaccounting';
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'long', { seed: 4, sleep: 8 });
    await stopSlurmDaemon('slurmdbd');
    const { logger, lines } = capturedLogger();

    const stage = h.run(pipeline, { extra: { logger } });
    await eventually(async () => lines.some((l) => l.msg === 'accounting unavailable, following with squeue'), 'the outage to be noticed');
    expect((await tasksOf(h.t, P))[0]?.state).not.toBe('completed');
    await restoreSlurm();
    const outcome = await stage;
    expect(outcome).toMatchObject({ ok: true, stats: { completed: 1 } });
    const said = lines.filter((l) => /accounting|poll query failed/.test(l.msg)).map((l) => [l.level, l.msg]);
    expect(said).toEqual([
      [40, 'accounting unavailable, following with squeue'],
      [30, 'accounting available again, following with sacct'],
    ]);
  });

  it('stops a hung SLURM client at once when the stage is stopped', async () => {
    const P = 'hungsacct';
    const pids = path.join(h.dir, 'hung-sacct.pids');
    const sacct = await h.writeCode('sacct-hangs', `echo $$ >> '${pids}'\nexec sleep 600\n`);
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'slow', { seed: 5, sleep: 30 });
    const controller = new AbortController();

    const stage = h.run(pipeline, { commands: { sacct }, extra: { signal: controller.signal } });
    const hung = await eventually(
      async () => (await readFile(pids, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map(Number)[0],
      'sacct to hang',
    );
    const stopped = Date.now();
    controller.abort(new Error('SIGTERM'));
    const outcome = await stage;
    expect(Date.now() - stopped).toBeLessThan(3_000);
    expect(outcome.error?.code).toBe('ABORTED');
    expect(processAlive(hung)).toBe(false);
    // The job itself was left running, as on any shutdown: cancel it, it is of no use here.
    await slurm('scancel', [`--name=${(await jobs(P))[0]!.name}`]);
    await writeFile(pids, '');
  });
});
