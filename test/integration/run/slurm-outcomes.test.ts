/**
 * One night of seven observations as one job array on the rig's real SLURM, each ending
 * differently, all at once (the slow TIMEOUT case overlaps with everything else).
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { summarizeRuns } from '../../../src/daemon/run-summary.js';
import { listRuns } from '../../../src/runs/runs.js';
import type { StageOutcome } from '../../../src/stages/types.js';
import { rig, slurmEnv } from '../../../harness/rig.js';
import { writeDaemonConfig } from '../../../harness/daemon-process.js';
import {
  createHarness,
  eventually,
  NIGHT,
  observationStates,
  outboxFiles,
  REPO,
  slurm,
  slurmTaskId,
  tasksOf,
  type Harness,
  type TaskRow,
} from '../../../harness/run-harness.js';

const P = 'outcomes';
const execFileAsync = promisify(execFile);

describe('run stage on SLURM: one job array, every way a task can end', () => {
  let h: Harness;
  let outcome: StageOutcome;
  let tasks: TaskRow[];
  const byObs = (obs: string) => tasks.filter((t) => t.obs === obs);
  const only = (obs: string) => {
    const [row, ...rest] = byObs(obs);
    expect(rest).toEqual([]);
    return row!;
  };

  beforeAll(async () => {
    h = await createHarness(P, 'slurm');
    // `time: 1` (minute) allows the TIMEOUT trick: a running task's limit set to 0 ends it within 30 s.
    const pipeline = h.pipeline(P, { array: { throttle: 8 }, slurm: { time: '1', mem: '200M', cpus: 1 }, retries: 2 });
    await h.writeObs(P, NIGHT, 'a-ok', { seed: 11, features: 3 });
    await h.writeObs(P, NIGHT, 'b-empty', { seed: 12, features: 0 });
    await h.writeObs(P, NIGHT, 'c-exit3', { seed: 13, exit: 3 });
    await h.writeObs(P, NIGHT, 'd-signal', { seed: 14, signal: 'KILL' });
    await h.writeObs(P, NIGHT, 'e-timeout', { seed: 15, sleep: 300 });
    await h.writeObs(P, NIGHT, 'f-flaky', { seed: 16, fail_attempts: 1 });
    await h.writeObs(P, NIGHT, 'g-cancel', { seed: 17, sleep: 300 });

    const whenRunning = async (obs: string, act: (id: string) => Promise<unknown>) => {
      const id = await eventually(() => slurmTaskId(h.t, P, obs), `${obs} to be submitted`);
      await eventually(async () => (await slurm('squeue', ['-h', '-j', id, '-o', '%T'])).trim() === 'RUNNING', `${obs} to run`);
      await act(id);
    };
    const stage = h.run(pipeline);
    await Promise.all([
      whenRunning('e-timeout', (id) => slurm('scontrol', ['update', `JobId=${id}`, 'TimeLimit=0'])),
      whenRunning('g-cancel', (id) => slurm('scancel', [id])),
    ]);
    outcome = await stage;
    tasks = await tasksOf(h.t, P);
  }, 90_000);
  afterAll(async () => h?.close());

  it('counts what happened and fails the run, naming the first failure', () => {
    expect(outcome.ok).toBe(false);
    expect(outcome.stats).toEqual({
      observations: 7,
      skipped: 0,
      setAside: 0,
      refused: 0,
      jobs: 2,
      submitted: 8,
      completed: 3,
      failed: 4,
      retried: 1,
      lost: 0,
      interrupted: 0,
      leftFiles: 0,
    });
    expect(outcome.error?.code).toBe('JOB_FAILED');
    // One line counts the failures and names the first; the next lines (for `nocturne logs`) the others, each once.
    const [head = '', ...others] = outcome.error!.message.split('\n');
    expect(head).toMatch(/^4 observations failed for good \(4 in this run\); first: outcomes: observation /);
    const named = [head.replace(/^.*?; first: /, ''), ...others];
    expect(new Set(named.map((l) => /observation (\S+)/.exec(l)?.[1])).size).toBe(4);
    expect(named.find((l) => l.includes('c-exit3'))).toMatch(
      /^outcomes: observation c-exit3 \(job noc-outcomes-[0-9a-f]{10}, SLURM \d+_2, attempt 1\): the detection code exited with status 3; set aside, not retried; (its files stay in \S+\/task-2; )?log \//,
    );
  });

  it('publishes the outputs of successful tasks, and nothing of failed ones', async () => {
    // b-empty found nothing: its set is the init file alone, as the HFC codes write it.
    expect(await outboxFiles(h.outbox(P))).toEqual([
      'outcomes_106_20261120T000045_a-ok.jpg',
      'outcomes_106_20261120T000045_a-ok_feat.csv',
      'outcomes_106_20261120T000045_a-ok_init.csv',
      'outcomes_106_20261120T000045_b-empty.jpg',
      'outcomes_106_20261120T000045_b-empty_init.csv',
      'outcomes_106_20261120T000045_f-flaky.jpg',
      'outcomes_106_20261120T000045_f-flaky_feat.csv',
      'outcomes_106_20261120T000045_f-flaky_init.csv',
      'outcomes_106_frc_info.csv',
      'outcomes_106_observatory.csv',
    ]);
    expect((await readdir(h.outbox(P))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(only('a-ok')).toMatchObject({ state: 'completed', scheduler_state: 'COMPLETED', exit_code: 0 });
    expect(only('a-ok').outputs).toEqual([
      'outcomes_106_20261120T000045_a-ok.jpg',
      'outcomes_106_20261120T000045_a-ok_feat.csv',
      'outcomes_106_20261120T000045_a-ok_init.csv',
      'outcomes_106_frc_info.csv',
      'outcomes_106_observatory.csv',
    ]);
    expect(only('b-empty')).toMatchObject({ state: 'completed' });
  });

  it('records a non-zero exit as permanent, with the log path and its last lines', () => {
    const row = only('c-exit3');
    expect(row).toMatchObject({ state: 'failed', scheduler_state: 'FAILED', exit_code: 3, signal: null, retryable: false });
    expect(row.reason).toContain('detection code exited with status 3');
    expect(row.reason).toContain(row.log_path);
    expect(row.log_tail).toContain('exiting with status 3 as the observation asks');
  });

  it('records a task killed by a signal', () => {
    expect(only('d-signal')).toMatchObject({ state: 'failed', scheduler_state: 'FAILED', signal: 9, retryable: false });
    expect(only('d-signal').reason).toContain('killed by signal 9 (SIGKILL)');
  });

  it('records TIMEOUT, not retried since retryTimeout is false', () => {
    expect(only('e-timeout')).toMatchObject({ state: 'failed', scheduler_state: 'TIMEOUT', retryable: false });
  });

  it('records a task cancelled with scancel', () => {
    expect(only('g-cancel')).toMatchObject({ state: 'failed', scheduler_state: 'CANCELLED', retryable: false });
  });

  it('records the node each task ran on, however it ended, and the code version its job ran', async () => {
    const rows = await h.t.db.any<{ obs: string; node: string | null; code_version: string }>(
      'SELECT t.obs, t.node, j.code_version FROM job_tasks t JOIN jobs j ON j.id = t.job WHERE t.pipeline = $1 ORDER BY t.obs, t.attempt',
      [P],
    );
    expect(rows.map((r) => r.obs)).toEqual(tasks.map((t) => t.obs));
    for (const row of rows) expect(row, row.obs).toMatchObject({ node: rig().slurm.node, code_version: '1.0.6' });
  });

  it('retries a temporary failure as a new submission, keeping the others', () => {
    const [first, second] = byObs('f-flaky');
    expect(first).toMatchObject({ attempt: 1, state: 'failed', exit_code: 75, retryable: true });
    expect(second).toMatchObject({ attempt: 2, state: 'completed' });
  });

  it('sets failures aside, never runs a done observation again, and never calls a night with failures a success', async () => {
    expect(await observationStates(h.t, P)).toEqual({
      'a-ok': 'done',
      'b-empty': 'done',
      'c-exit3': 'failed',
      'd-signal': 'failed',
      'e-timeout': 'failed',
      'f-flaky': 'done',
      'g-cancel': 'failed',
    });
    const again = await h.run(h.pipeline(P, { array: { throttle: 8 } }));
    expect(again).toMatchObject({ ok: false, stats: { observations: 7, skipped: 3, setAside: 4, jobs: 0, submitted: 0 } });
    expect(again.summary).toBe(
      '7 observations (3 done earlier, 4 failed earlier and set aside); 0 tasks in 0 jobs: 0 completed, 0 failed, 0 retried',
    );
    expect(again.error?.message.split('\n')[0]).toMatch(
      /^4 observations failed for good \(4 set aside earlier\); first: outcomes: observation c-exit3 /,
    );

    // The same night through the command a person runs: it fails, and so it is in the history, status and metrics.
    await writeDaemonConfig(h.dir, {
      pgUrl: h.t.url,
      schema: h.t.schema,
      port: 0,
      pipelines: { [P]: stringify(h.written(P, { array: { throttle: 8 } })) },
      extra: { executor: { type: 'slurm', slurm: { pollInterval: '1s' } } },
    });
    const cli = await execFileAsync(process.execPath, [path.join(REPO, 'bin/nocturne.js'), 'run', P, '--stage', 'run', '--date', NIGHT], {
      env: { ...slurmEnv(), NOCTURNE_CONFIG_DIR: h.dir, NOCTURNE_LOG_LEVEL: 'error' },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('outcomes/run: FAILED: 7 observations (3 done earlier, 4 failed earlier and set aside)');
    const [run] = await listRuns(h.t.db, { pipeline: P, limit: 1 });
    expect(run).toMatchObject({ state: 'failed', error_code: 'JOB_FAILED' });
    const metrics = new DaemonMetrics({ version: 'test', summary: () => summarizeRuns(h.t.db), pending: async () => [] }, h.logger);
    expect((await metrics.render()).body).toContain('nocturne_stage_last_run_success{pipeline="outcomes",stage="run"} 0');
  });
});
