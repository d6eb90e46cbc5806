/**
 * A person cancels an array task that has not started yet (`scancel <id>_2`): SLURM
 * records nothing of it, and squeue forgets it. nocturne cannot tell who cancelled a task
 * SLURM forgot: after lostAfter the task is LOST, and the message says what is known.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, eventually, NIGHT, observationStates, slurm, tasksOf, type Harness } from '../../../harness/run-harness.js';

const CODE = `
set -eu
out=$1 obs=$2
sleep 4
printf 'jpeg' > "$out/$obs.jpg"
printf 'OBS\\n%s\\n' "$obs" > "$out/\${obs}_init.csv"
`;

describe('run stage on SLURM: a pending array task cancelled by a person', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('forgotten', 'slurm', { lostAfter: '5s' });
  });
  afterAll(async () => h?.close());

  it('is LOST once SLURM no longer lists it: cancelled before it started, or lost; submitted again', async () => {
    const P = 'forgotten';
    const code = await h.writeCode('code', CODE);
    const pipeline = h.pipeline(P, { command: [code, '{outdir}', '{obs}'], array: { throttle: 1 } });
    for (const obs of ['a', 'b', 'c']) await h.writeObs(P, NIGHT, obs, {});
    const stage = h.run(pipeline);
    await eventually(async () => (await tasksOf(h.t, P))[0]?.state === 'running', 'the first task to run');
    const { scheduler_id: id } = await h.t.db.one<{ scheduler_id: string }>('SELECT scheduler_id FROM jobs WHERE pipeline = $1', [P]);
    await slurm('scancel', [`${id}_2`]);

    expect(await stage).toMatchObject({ ok: true, stats: { completed: 3, lost: 1, failed: 0 } });
    expect(await observationStates(h.t, P)).toEqual({ a: 'done', b: 'done', c: 'done' });
    const [lost] = (await tasksOf(h.t, P)).filter((t) => t.state === 'lost');
    expect(lost!.reason).toMatch(
      new RegExp(
        `^forgotten: observation c \\(job noc-forgotten-\\w+, SLURM ${id}_2, attempt 1\\): SLURM no longer lists it \\(neither squeue nor sacct\\) since \\S+: it was cancelled before it started, or lost \\(LOST\\); submitted again$`,
      ),
    );
  }, 90_000);
});
