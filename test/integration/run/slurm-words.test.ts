/**
 * How endings read at 7 am (issue 15, item 9): a sentence naming the observation, the
 * job, what happened and what comes next. The node failing under a task, and a person
 * cancelling one, on the rig's real SLURM.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatHistory } from '../../../src/cli/commands/history.js';
import { listRuns } from '../../../src/runs/runs.js';
import { executeStage } from '../../../src/stages/execute.js';
import { rig } from '../../../harness/rig.js';
import { createHarness, eventually, NIGHT, observationStates, slurm, tasksOf, type Harness } from '../../../harness/run-harness.js';
import { restoreSlurm, setNodeState } from './slurm-control.js';

/** Writes one observation's outputs; sleeps first at its first attempt. */
const CODE = `
set -eu
out=$1 obs=$2
if [[ $NOCTURNE_ATTEMPT == 1 ]]; then sleep 60; fi
printf 'jpeg' > "$out/$obs.jpg"
printf 'OBS\\n%s\\n' "$obs" > "$out/\${obs}_init.csv"
`;

describe('run stage on SLURM: endings in words', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('words', 'slurm');
  });
  afterEach(restoreSlurm);
  afterAll(async () => h?.close());

  it('says that the node failed under a task, and that it is retried', async () => {
    const P = 'nodefail';
    const code = await h.writeCode('code', CODE);
    const pipeline = h.pipeline(P, { command: [code, '{outdir}', '{obs}'] });
    await h.writeObs(P, NIGHT, 'struck', {});
    const stage = h.run(pipeline);
    await eventually(async () => (await tasksOf(h.t, P))[0]?.state === 'running', 'the task to run');
    await setNodeState(rig().slurm.node, 'down', 'nocturne test: node failure');
    await eventually(async () => (await tasksOf(h.t, P))[0]?.state === 'failed', 'NODE_FAIL to be seen');
    await restoreSlurm();

    expect(await stage).toMatchObject({ ok: true, stats: { submitted: 2, retried: 1, completed: 1 } });
    const [first] = await tasksOf(h.t, P);
    expect(first).toMatchObject({ scheduler_state: 'NODE_FAIL', retryable: true });
    expect(first!.reason).toMatch(
      /^nodefail: observation struck \(job noc-nodefail-\w+, SLURM \d+, attempt 1\): the node it ran on failed \(NODE_FAIL\); retried after a pause \(attempt 2 of 3\); log \S+$/,
    );
  });

  it('says who cancelled a task; history counts the failures of the run in one line', async () => {
    const P = 'cancelled';
    const code = await h.writeCode('code', CODE);
    h.pipeline(P, { command: [code, '{outdir}', '{obs}'], array: { throttle: 2 } });
    await h.writeObs(P, NIGHT, 'stopped', {});
    await h.writeObs(P, NIGHT, 'stopped-too', {});
    // executeStage builds the real executor, which reads SLURM_CONF from the environment.
    process.env['SLURM_CONF'] = rig().slurm.conf;
    const stage = executeStage(
      { config: h.config, db: h.t.db, logger: h.logger },
      { pipeline: P, stage: 'run', slot: new Date(), trigger: 'manual', date: NIGHT },
    );
    await eventually(async () => (await tasksOf(h.t, P)).filter((t) => t.state === 'running').length === 2, 'the tasks to run');
    await slurm('scancel', [`--name=${(await h.t.db.one<{ name: string }>('SELECT name FROM jobs WHERE pipeline = $1', [P])).name}`]);

    const result = await stage;
    expect(result.kind === 'done' && result.outcome).toMatchObject({ ok: false, stats: { failed: 2 } });
    const [task] = await tasksOf(h.t, P);
    expect(task!.reason).toMatch(
      /^cancelled: observation stopped \(job noc-cancelled-\w+, SLURM \d+_\d, attempt 1\): it was cancelled by root \(uid 0\) \(CANCELLED\); set aside, not retried; log \S+$/,
    );
    expect(await observationStates(h.t, P)).toEqual({ stopped: 'failed', 'stopped-too': 'failed' });
    const history = formatHistory(await listRuns(h.t.db, { pipeline: P, limit: 5 }))
      .trimEnd()
      .split('\n');
    expect(history).toHaveLength(2);
    expect(history[1]).toMatch(
      / failed +\d+\.\ds +2 observations failed for good \(2 in this run\); first: cancelled: observation stopped/,
    );
  });
});
