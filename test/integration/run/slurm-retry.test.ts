// `nocturne retry --stage run --obs GLOB --now` on the rig's real SLURM: observations
// that failed for good are submitted again as their next attempt; the one whose cause is
// gone (a transient failure) ends done, the one still broken stays failed, with both
// attempts in its history, and the retry names who asked and the run it started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retry } from '../../../src/operations/retry.js';
import { executeStage } from '../../../src/stages/execute.js';
import { rig } from '../../../harness/rig.js';
import { createHarness, NIGHT, observationStates, tasksOf, type Harness } from '../../../harness/run-harness.js';

const P = 'retried';

describe('retry --stage run --now on SLURM', () => {
  let h: Harness;
  const saved = process.env['SLURM_CONF'];
  beforeAll(async () => {
    // executeStage's run stage reaches SLURM as the daemon does: through the environment.
    process.env['SLURM_CONF'] = rig().slurm.conf;
    h = await createHarness(P, 'slurm');
    h.pipeline(P, { retries: 0, slurm: { time: '1', mem: '200M', cpus: 1 } });
    await h.writeObs(P, NIGHT, 'a-ok', { seed: 1 });
    await h.writeObs(P, NIGHT, 'b-flaky', { seed: 2, fail_attempts: 1 });
    await h.writeObs(P, NIGHT, 'c-broken', { seed: 3, exit: 3 });
    const first = await executeStage(
      { config: h.config, db: h.t.db, logger: h.logger },
      { pipeline: P, stage: 'run', slot: new Date(), trigger: 'manual', date: NIGHT },
    );
    expect(first.kind).toBe('done');
    expect(await observationStates(h.t, P)).toEqual({ 'a-ok': 'done', 'b-flaky': 'failed', 'c-broken': 'failed' });
  }, 180_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env['SLURM_CONF'];
    else process.env['SLURM_CONF'] = saved;
    await h?.close();
  });

  it('lists with --dry-run, then runs the next attempt now: fixed ones done, still broken ones failed with both attempts', async () => {
    const printed: string[] = [];
    const deps = { config: h.config, db: h.t.db, logger: h.logger, print: (line: string) => printed.push(line) };
    const selection = { pipeline: P, stages: ['run' as const], obs: '[bc]-*' };
    const dry = await retry(deps, { selection, by: 'tester@rig', dryRun: true });
    expect(dry.applied).toBeNull();
    // Listed oldest failure first: which of the two jobs ended first is SLURM's to say, so sorted here.
    expect(printed.filter((l) => l.startsWith('would retry: ')).sort()).toEqual([
      expect.stringMatching(/^would retry: run observation \S+\/b-flaky\.obs, failed \S+Z \(.*\)$/),
      expect.stringMatching(/^would retry: run observation \S+\/c-broken\.obs, failed \S+Z \(.*exit.*3.*\)$/),
    ]);
    expect(await observationStates(h.t, P)).toEqual({ 'a-ok': 'done', 'b-flaky': 'failed', 'c-broken': 'failed' });

    const report = await retry(deps, { selection, by: 'tester@rig', now: true });
    expect(report.applied?.retried.map((i) => i.item.replace(/^.*\//, '')).sort()).toEqual(['b-flaky.obs', 'c-broken.obs']);
    expect(report.runs).toHaveLength(1);
    const result = report.runs[0]!.result;
    if (result.kind !== 'done') throw new Error(`the retry's run did not run: ${result.reason}`);

    expect(await observationStates(h.t, P)).toEqual({ 'a-ok': 'done', 'b-flaky': 'done', 'c-broken': 'failed' });
    const tasks = await tasksOf(h.t, P);
    expect(tasks.map((t) => [t.obs, t.attempt, t.state])).toEqual([
      ['a-ok', 1, 'completed'],
      ['b-flaky', 1, 'failed'],
      ['b-flaky', 2, 'completed'],
      ['c-broken', 1, 'failed'],
      ['c-broken', 2, 'failed'],
    ]);
    const action = await h.t.db.one<{ asked_by: string; run_id: string; items: number }>(
      `SELECT a.asked_by, a.run_id, (SELECT count(*)::int FROM retried_items i WHERE i.action_id = a.id) AS items
         FROM operator_actions a WHERE action = 'retry'`,
    );
    expect(action).toEqual({ asked_by: 'tester@rig', run_id: String(result.runId), items: 2 });
    // Nothing left to retry but c-broken, which failed again.
    const again = await retry(deps, { selection, by: 'tester@rig', dryRun: true });
    expect(again.candidates.map((c) => c.item.replace(/^.*\//, ''))).toEqual(['c-broken.obs']);
  }, 180_000);
});
