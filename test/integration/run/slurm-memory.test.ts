/**
 * A task over its memory (issue 15, item 5), on both kinds of enforcement SLURM has: job
 * accounting (OverMemoryKill, the rig's default: FAILED 0:9) and cgroups (ConstrainRAMSpace:
 * OUT_OF_MEMORY). Either way the message names the memory, and what to change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, NIGHT, observationStates, tasksOf, type Harness } from '../../../harness/run-harness.js';
import { setMemoryEnforcement } from './slurm-control.js';

/**
 * Holds 400 MB for 10 s: tail keeps its "last line" (and /dev/zero has no line ends)
 * until its input ends; long enough for job accounting, which samples once a second.
 */
const HOG = 'set -euo pipefail\n{ head -c 400M /dev/zero; sleep 10; } | tail > /dev/null\n';

describe('run stage on SLURM: a task over its memory', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('memory', 'slurm');
  });
  afterAll(async () => {
    await setMemoryEnforcement('accounting');
    await h?.close();
  });

  async function runHog(P: string) {
    const code = await h.writeCode(`hog-${P}`, HOG);
    const pipeline = h.pipeline(P, { command: [code], slurm: { time: '00:05:00', mem: '100M', cpus: 1 }, retries: 0 });
    await h.writeObs(P, NIGHT, 'big', { seed: 1 });
    const outcome = await h.run(pipeline);
    const [task] = await tasksOf(h.t, P);
    return { outcome, task: task! };
  }

  it('names a kill by job accounting (OverMemoryKill) as exceeding the memory, with what the task used', async () => {
    const { outcome, task } = await runHog('overmemorykill');
    expect(outcome).toMatchObject({ ok: false, stats: { failed: 1 } });
    expect(task).toMatchObject({ state: 'failed', scheduler_state: 'FAILED', signal: 9, retryable: false });
    const [, used] =
      /it exceeded its memory \(mem=100M, used (\d+)M\): raise run\.slurm\.mem; set aside, not retried; log /.exec(task.reason ?? '') ?? [];
    expect(Number(used)).toBeGreaterThan(100);
    expect(await observationStates(h.t, 'overmemorykill')).toEqual({ big: 'failed' });
  });

  it('names OUT_OF_MEMORY from cgroup enforcement (ConstrainRAMSpace) the same way', async () => {
    await setMemoryEnforcement('cgroup');
    const { task } = await runHog('cgroup');
    expect(task).toMatchObject({ state: 'failed', scheduler_state: 'OUT_OF_MEMORY', retryable: false });
    expect(task.reason).toMatch(
      /^cgroup: observation big \(job noc-cgroup-\w+, SLURM \d+, attempt 1\): it exceeded its memory \(mem=100M(, used \d+M)?\): raise run\.slurm\.mem; set aside, not retried; log /,
    );
  });
});
