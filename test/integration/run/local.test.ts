/**
 * The run stage with the local executor: child processes on this machine, the same
 * generated script, the same bookkeeping in PostgreSQL as on SLURM.
 */
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procTable } from '../../../src/executors/local/processes.js';
import { listRuns } from '../../../src/runs/runs.js';
import { executeStage } from '../../../src/stages/execute.js';
import { createHarness, eventually, NIGHT, observationStates, outboxFiles, tasksOf, type Harness } from '../../../harness/run-harness.js';

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
}

/** Generated scripts of this harness still running. */
async function wrappersUnder(dir: string): Promise<number> {
  return (await procTable.list()).filter((p) => p.argv[1]?.startsWith(dir) && p.argv[1].endsWith('/job.sh')).length;
}

describe.concurrent('run stage with the local executor', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('local', 'local', { concurrency: 4 });
  });
  afterAll(async () => h?.close());

  it('runs a night through executeStage: success, exit code, signal, retry', async () => {
    const P = 'localnight';
    h.pipeline(P, { retries: 1 });
    await h.writeObs(P, NIGHT, 'ok', { seed: 1 });
    await h.writeObs(P, NIGHT, 'exit4', { seed: 2, exit: 4 });
    await h.writeObs(P, NIGHT, 'killed', { seed: 3, signal: 'KILL' });
    await h.writeObs(P, NIGHT, 'flaky', { seed: 4, fail_attempts: 1 });

    const updates: Array<Record<string, number | string>> = [];
    const progress = { update: (c: Record<string, number | string>) => updates.push(c), done() {} };
    const result = await executeStage(
      { config: h.config, db: h.t.db, logger: h.logger, progress },
      { pipeline: P, stage: 'run', slot: new Date(), trigger: 'manual', date: NIGHT },
    );
    expect(result.kind).toBe('done');
    expect(updates.at(-1)).toEqual({ pending: 0, running: 0, done: 2, failed: 2 });
    const [run] = await listRuns(h.t.db, { pipeline: P, limit: 1 });
    expect(run).toMatchObject({ state: 'failed', error_code: 'JOB_FAILED' });
    expect(run!.stats).toMatchObject({ observations: 4, submitted: 5, completed: 2, failed: 2, retried: 1 });
    const tasks = await tasksOf(h.t, P);
    expect(tasks.map((t) => [t.obs, t.attempt, t.state, t.exit_code, t.signal])).toEqual([
      ['exit4', 1, 'failed', 4, null],
      ['flaky', 1, 'failed', 75, null],
      ['flaky', 2, 'completed', 0, null],
      ['killed', 1, 'failed', 137, 9],
      ['ok', 1, 'completed', 0, null],
    ]);
    expect(tasks.find((t) => t.obs === 'exit4')!.log_tail).toContain('exiting with status 4');
    // Where each ran (this host, killed or not) and the code version of its job.
    expect(
      await h.t.db.any('SELECT DISTINCT t.node, j.code_version FROM job_tasks t JOIN jobs j ON j.id = t.job WHERE t.pipeline = $1', [P]),
    ).toEqual([{ node: hostname(), code_version: '1.0.6' }]);
    expect(await outboxFiles(h.outbox(P))).toEqual([
      'localnight_106_20261120T000045_flaky.jpg',
      'localnight_106_20261120T000045_flaky_feat.csv',
      'localnight_106_20261120T000045_flaky_init.csv',
      'localnight_106_20261120T000045_ok.jpg',
      'localnight_106_20261120T000045_ok_feat.csv',
      'localnight_106_20261120T000045_ok_init.csv',
      'localnight_106_frc_info.csv',
      'localnight_106_observatory.csv',
    ]);
  });

  it('kills its children at the stage timeout; their observations are pending again, not failed', async () => {
    const P = 'localtimeout';
    h.pipeline(P, { timeout: '4s' });
    await h.writeObs(P, NIGHT, 'slow', { seed: 5, sleep: 300 });

    const result = await executeStage(
      { config: h.config, db: h.t.db, logger: h.logger },
      { pipeline: P, stage: 'run', slot: new Date(), trigger: 'manual', date: NIGHT },
    );
    expect(result.kind === 'done' && result.outcome.error?.code).toBe('TIMEOUT');
    expect(result.kind === 'done' && result.outcome.error?.message).toBe(
      'localtimeout/run reached its stage timeout (4s); 1 task(s) cancelled, their observations pending again for the next run',
    );
    const [task] = await tasksOf(h.t, P);
    expect(task).toMatchObject({ state: 'interrupted', retryable: null });
    expect(task!.reason).toMatch(
      /^localtimeout: observation slow \(job noc-localtimeout-\w+, attempt 1\): cancelled by nocturne at the stage timeout \(4s\), while it ran; pending again, for the next run; log /,
    );
    expect(await observationStates(h.t, P)).toEqual({ slow: 'pending' });
    await eventually(async () => (await wrappersUnder(path.join(h.dir, 'work/run', P))) === 0, 'the task to be killed', 10_000);
  });

  it('re-attaches to tasks still running after nocturne was killed with -9, running nothing twice', async () => {
    const P = 'localkill';
    const trace = path.join(h.dir, 'localkill-trace');
    const pipeline = h.pipeline(P, { array: { throttle: 4 } });
    await h.writeObs(P, NIGHT, 'first', { seed: 6, features: 1, sleep: 3, trace });
    await h.writeObs(P, NIGHT, 'second', { seed: 7, features: 1, sleep: 3, trace });

    const child = await h.spawn(pipeline);
    const exited = once(child, 'exit');
    await eventually(async () => (await lines(trace)).length === 2, 'both tasks to start');
    child.kill('SIGKILL');
    await exited;
    expect(await wrappersUnder(path.join(h.dir, 'work/run', P))).toBe(2);

    const outcome = await h.run(pipeline);
    expect(outcome).toMatchObject({ ok: true, stats: { jobs: 0, submitted: 0, completed: 2 } });
    expect((await lines(trace)).sort()).toEqual(['first 1', 'second 1']);
    // Each observation's quicklook, init and feat files, and the code's two metadata files.
    expect(await outboxFiles(h.outbox(P))).toHaveLength(8);
  });

  it('kills its children on shutdown and runs them again next time', async () => {
    const P = 'localstop';
    const trace = path.join(h.dir, 'localstop-trace');
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'stopped', { seed: 8, sleep: 2, trace });
    const controller = new AbortController();

    const stage = h.run(pipeline, { extra: { signal: controller.signal } });
    await eventually(async () => (await lines(trace)).length === 1, 'the task to start');
    controller.abort(new Error('shutdown'));
    const outcome = await stage;
    expect(outcome.error?.code).toBe('ABORTED');
    expect(await tasksOf(h.t, P)).toMatchObject([{ obs: 'stopped', attempt: 1, state: 'interrupted' }]);
    expect(await observationStates(h.t, P)).toEqual({ stopped: 'pending' });

    const again = await h.run(pipeline);
    expect(again).toMatchObject({ ok: true, stats: { submitted: 1, completed: 1 } });
    expect(await lines(trace)).toEqual(['stopped 1', 'stopped 1']);
  });

  it('quotes what it generates: an outbox and observation names with spaces, quotes and $', async () => {
    const P = 'localquotes';
    const outbox = path.join(h.dir, "out box/it's $HOME");
    const pipeline = h.pipeline(P, { outputs: { dir: outbox, csv: '*_feat.csv', quicklooks: '*.{jpg,png}', rowsRequired: [] } });
    await h.writeObs(P, NIGHT, "o'brien $(cd ..;cd ..;cd ..;touch pwned) x", { seed: 9 });

    const outcome = await h.run(pipeline);
    expect(outcome).toMatchObject({ ok: true, stats: { completed: 1 } });
    expect(await outboxFiles(outbox)).toEqual([
      "localquotes_106_20261120T000045_o'brien $(cd ..;cd ..;cd ..;touch pwned) x.jpg",
      "localquotes_106_20261120T000045_o'brien $(cd ..;cd ..;cd ..;touch pwned) x_feat.csv",
    ]);
    // Run by a shell in the task's working directory, the name would have created this.
    expect(await readdir(h.dir)).not.toContain('pwned');
  });
});
