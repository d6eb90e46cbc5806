/**
 * Why a task waits (issue 15, item 6): a job held by an administrator, requeued by SLURM,
 * or waiting for a drained node, is shown with SLURM's reason in status, logs and the
 * metrics; a long hold is a warning. A run whose process is gone is not "running". And
 * retries that fall due together go in one array (item 7).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/commands/status.js';
import { DaemonMetrics } from '../../../src/daemon/metrics.js';
import { summarizeRuns } from '../../../src/daemon/run-summary.js';
import { stageStatuses } from '../../../src/daemon/status-report.js';
import { beginRun } from '../../../src/runs/runs.js';
import { rig } from '../../../harness/rig.js';
import {
  capturedLogger,
  createHarness,
  eventually,
  NIGHT,
  outboxFiles,
  recordingCommands,
  slurm,
  slurmTaskId,
  tasksOf,
  type Harness,
} from '../../../harness/run-harness.js';
import { restoreSlurm, setNodeState } from './slurm-control.js';

describe('run stage on SLURM: why tasks wait', () => {
  let h: Harness;
  const waitReason = async (P: string) =>
    (
      await h.t.db.oneOrNone<{ wait_reason: string | null }>(
        `SELECT wait_reason FROM job_tasks WHERE pipeline = $1 ORDER BY attempt DESC LIMIT 1`,
        [P],
      )
    )?.wait_reason;
  const status = async (P: string) => (await stageStatuses(h.config, h.t.db, { now: new Date() })).filter((s) => s.pipeline === P);
  beforeAll(async () => {
    h = await createHarness('waiting', 'slurm');
  });
  afterEach(restoreSlurm);
  afterAll(async () => h?.close());

  it('shows a held job with its reason in status and the metrics, warns when the hold lasts, and follows it to its end', async () => {
    const P = 'held';
    const pipeline = h.pipeline(P, { waitWarning: '2s' });
    await h.writeObs(P, NIGHT, 'kept', { seed: 1 });
    const { logger, lines } = capturedLogger();
    // Drained first, so that the job cannot start before it is held.
    await setNodeState(rig().slurm.node, 'drain');
    const stage = h.run(pipeline, { extra: { logger } });
    const id = await eventually(() => slurmTaskId(h.t, P, 'kept'), 'the job to be submitted');
    await eventually(async () => (await waitReason(P)) && !(await waitReason(P))!.startsWith('None'), 'the node wait to be seen');
    await slurm('scontrol', ['hold', id]);
    await setNodeState(rig().slurm.node, 'resume');
    await eventually(async () => (await waitReason(P)) === 'JobHeldAdmin', 'the hold to be seen');

    const text = formatStatus(await status(P));
    expect(text).toMatch(
      new RegExp(
        `\\nheld/run: 1 task waiting since \\S+ \\S+: JobHeldAdmin: held by an administrator \\(scontrol release\\) \\(job noc-held-\\w+, SLURM ${id}; observation kept\\)\\n`,
      ),
    );
    const metrics = new DaemonMetrics({ version: 'test', summary: () => summarizeRuns(h.t.db), pending: async () => [] }, logger);
    expect((await metrics.render()).body).toMatch(/\nnocturne_run_tasks_waiting\{pipeline="held",kind="person"\} 1\n/);
    const warning = await eventually(async () => lines.find((l) => l.level === 40 && l.msg.includes('JobHeldAdmin')), 'the warning');
    expect(warning.msg).toMatch(
      new RegExp(
        `^held: job noc-held-\\w+ \\(SLURM ${id}\\): 1 task waiting for [23] s: JobHeldAdmin: held by an administrator \\(scontrol release\\)$`,
      ),
    );

    await slurm('scontrol', ['release', id]);
    expect(await stage).toMatchObject({ ok: true, stats: { completed: 1 } });
    expect(lines.filter((l) => l.level === 40 && l.msg.includes('waiting for'))).toHaveLength(1);
    expect(lines.find((l) => l.level === 30 && l.msg.includes(': 1 task waiting: JobHeldAdmin'))).toBeDefined();
    expect(await waitReason(P)).toBeNull();
  });

  it('says when SLURM requeues a task, shows it waiting (BeginTime), and records it once when it ends', async () => {
    const P = 'requeued';
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'again', { seed: 2, sleep: 5 });
    const { logger, lines } = capturedLogger();
    const stage = h.run(pipeline, { extra: { logger } });
    await eventually(async () => (await tasksOf(h.t, P))[0]?.state === 'running', 'the task to run');
    const id = (await slurmTaskId(h.t, P, 'again'))!;
    // Jobs are submitted --no-requeue; an administrator can requeue one all the same.
    await slurm('scontrol', ['update', `jobid=${id}`, 'requeue=1']);
    await slurm('scontrol', ['requeue', id]);
    await eventually(async () => (await waitReason(P)) === 'BeginTime', 'the requeue to be seen');
    expect((await tasksOf(h.t, P))[0]).toMatchObject({ state: 'pending' });
    expect(formatStatus(await status(P))).toContain('requeued/run: 1 task waiting since');
    expect(lines.find((l) => l.msg.includes('requeued by SLURM'))?.msg).toMatch(
      new RegExp(
        `^requeued: job noc-requeued-\\w+ \\(SLURM ${id}\\): 1 task requeued by SLURM, waiting again: BeginTime: requeued, or not allowed to start yet$`,
      ),
    );
    await slurm('scontrol', ['update', `jobid=${id}`, 'StartTime=now']);
    expect(await stage).toMatchObject({ ok: true, stats: { submitted: 1, completed: 1 } });
    expect((await tasksOf(h.t, P)).map((t) => [t.attempt, t.state])).toEqual([[1, 'completed']]);
    expect((await outboxFiles(h.outbox(P))).filter((f) => f.endsWith('_init.csv'))).toHaveLength(1);
  });

  it('does not call running a run whose process is gone', async () => {
    const P = 'deadrun';
    h.pipeline(P);
    const child = spawn('true');
    await once(child, 'exit');
    const begun = await beginRun(h.t.db, { pipeline: P, stage: 'run', slot: new Date(), trigger: 'manual', leaseMs: 60_000 });
    if (begun.kind !== 'started') throw new Error(`no run begun: ${begun.kind}`);
    await h.t.db.none('UPDATE runs SET pid = $2 WHERE id = $1', [begun.run.id, child.pid]);

    const [run] = await status(P);
    expect(run).toMatchObject({ running: null, stale: { run: { id: begun.run.id } } });
    const text = formatStatus([run!]);
    expect(text).toContain(`not running (run ${begun.run.id}, see below)`);
    expect(text).not.toContain('running on');
    expect(text).toContain(`deadrun/run: run ${begun.run.id} is recorded as running, but its process (pid ${child.pid} on `);
    const metrics = new DaemonMetrics({ version: 'test', summary: () => summarizeRuns(h.t.db), pending: async () => [] }, h.logger);
    expect((await metrics.render()).body).toContain('nocturne_stage_running{pipeline="deadrun",stage="run"} 0');
  });

  it('collects retries that fall due within one poll interval into one array', async () => {
    const P = 'batched';
    const { commands, calls } = await recordingCommands(h.dir, ['sbatch']);
    const pipeline = h.pipeline(P, { array: { throttle: 8 }, retries: 1 });
    for (let i = 0; i < 5; i++) await h.writeObs(P, NIGHT, `flaky-${i}`, { seed: 10 + i, fail_attempts: 1 });

    const outcome = await h.run(pipeline, { commands });
    expect(outcome).toMatchObject({ ok: true, stats: { jobs: 2, submitted: 10, retried: 5, completed: 5 } });
    expect(await calls('sbatch')).toHaveLength(2);
  });
});
