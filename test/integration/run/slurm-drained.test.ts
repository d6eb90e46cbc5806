/**
 * A night on a drained node (issue 15, items 1, 6 and 9): the stage timeout comes before
 * any task could start. Nothing the code did failed: the observations wait for the next
 * run, and status, logs and history say what happened in words.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatHistory } from '../../../src/cli/commands/history.js';
import { runLogs } from '../../../src/cli/commands/logs.js';
import { formatStatus } from '../../../src/cli/commands/status.js';
import { stageStatuses } from '../../../src/daemon/status-report.js';
import { listRuns } from '../../../src/runs/runs.js';
import { executeStage } from '../../../src/stages/execute.js';
import { rig } from '../../../harness/rig.js';
import { createHarness, eventually, NIGHT, observationStates, outboxFiles, tasksOf, type Harness } from '../../../harness/run-harness.js';
import { restoreSlurm, setNodeState } from './slurm-control.js';

describe('run stage on SLURM: a drained night', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('drained', 'slurm');
    // executeStage builds the real executor, which reads SLURM_CONF from the environment.
    process.env['SLURM_CONF'] = rig().slurm.conf;
  });
  afterEach(restoreSlurm);
  afterAll(async () => h?.close());

  it('gives back to pending what the stage timeout cancelled before it started, says why, and the next run does it', async () => {
    const P = 'drained';
    h.pipeline(P, { timeout: '4s', array: { throttle: 2 } });
    await h.writeObs(P, NIGHT, 'first', { seed: 1 });
    await h.writeObs(P, NIGHT, 'second', { seed: 2 });
    const execute = () =>
      executeStage(
        { config: h.config, db: h.t.db, logger: h.logger },
        { pipeline: P, stage: 'run', slot: new Date(), trigger: 'manual', date: NIGHT },
      );
    const status = async () => (await stageStatuses(h.config, h.t.db, { now: new Date() })).filter((s) => s.pipeline === P);
    await setNodeState(rig().slurm.node, 'drain');

    const running = execute();
    const waiting = await eventually(
      async () => (await status()).find((s) => s.stage === 'run')?.waiting?.find((w) => w.tasks === 2),
      'the tasks to wait',
    );
    expect(waiting.reason).toMatch(/^(Nodes required for job are DOWN, DRAINED|ReqNodeNotAvail)/);
    expect(waiting.obs).toEqual(['first', 'second']);
    expect(formatStatus(await status())).toMatch(
      /\ndrained\/run: 2 tasks waiting since \S+ \S+: (Nodes required|ReqNodeNotAvail).* \(the node is drained or down: .*\) \(job noc-drained-\w+, SLURM \d+; observations first, second\)\n/,
    );
    const first = await running;
    expect(first.kind).toBe('done');
    if (first.kind !== 'done') return;
    expect(first.outcome.error?.message).toBe(
      'drained/run reached its stage timeout (4s); 2 task(s) cancelled, their observations pending again for the next run',
    );
    expect(first.outcome.stats).toMatchObject({ failed: 0, interrupted: 2, completed: 0 });

    const tasks = await tasksOf(h.t, P);
    expect(tasks.map((t) => [t.obs, t.state, t.scheduler_state])).toEqual([
      ['first', 'interrupted', 'CANCELLED'],
      ['second', 'interrupted', 'CANCELLED'],
    ]);
    // Named as cancelled by nocturne, before it started, with SLURM's reason; no log to look for.
    expect(tasks[0]!.reason).toMatch(
      /^drained: observation first \(job noc-drained-\w+, SLURM \d+_0, attempt 1\): cancelled by nocturne at the stage timeout \(4s\), before it started \(it was waiting: (Nodes required for job are DOWN, DRAINED|ReqNodeNotAvail)[^)]*\); pending again, for the next run$/,
    );
    expect(await observationStates(h.t, P)).toEqual({ first: 'pending', second: 'pending' });

    const logs = await runLogs(h.t.db, first.runId, 40);
    expect(logs!.match(/-- no log: the task never started/g)).toHaveLength(2);
    expect(logs).not.toContain('ENOENT');
    const history = formatHistory(await listRuns(h.t.db, { pipeline: P, limit: 5 }))
      .trimEnd()
      .split('\n');
    expect(history).toHaveLength(2);
    expect(history[1]).toMatch(/ failed +\d+\.\ds +drained\/run reached its stage timeout \(4s\); 2 task\(s\) cancelled/);

    await setNodeState(rig().slurm.node, 'resume');
    // The next slot's run has the time a run needs: 4 s was only there to end the drained one,
    // and a loaded machine can take longer than that to run two tasks.
    h.pipeline(P, { timeout: '60s', array: { throttle: 2 } });
    const second = await execute();
    expect(second.kind === 'done' && second.outcome).toMatchObject({
      ok: true,
      stats: { observations: 2, skipped: 0, setAside: 0, submitted: 2, completed: 2, failed: 0 },
    });
    expect(await observationStates(h.t, P)).toEqual({ first: 'done', second: 'done' });
    expect((await outboxFiles(h.outbox(P))).filter((f) => f.endsWith('_init.csv'))).toHaveLength(2);
  });
});
