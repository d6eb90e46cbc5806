// The disk guard in a real run of the run stage (local executor): below
// retention.minFreeDisk ("100%": never enough, whatever this disk holds) the run submits
// nothing and is recorded as skipped with DISK_LOW, and status says why; the next run
// with room takes the pending observations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NocturneConfig } from '../../../src/config/types.js';
import { stageStatuses } from '../../../src/daemon/status-report.js';
import { listRuns } from '../../../src/runs/runs.js';
import { executeStage } from '../../../src/stages/execute.js';
import { createHarness, NIGHT, observationStates, type Harness } from '../../../harness/run-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('diskguard', 'local');
});
afterAll(async () => h?.close());

const withMinFree = (config: NocturneConfig, minFreeDisk: string): NocturneConfig => ({
  ...config,
  daemon: { ...config.daemon, retention: { ...config.daemon.retention, minFreeDisk } },
});

describe('the run stage below retention.minFreeDisk', () => {
  it('submits nothing, ends skipped with DISK_LOW, says why in status, and the next run with room does the work', async () => {
    const P = 'diskguard';
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'a', { seed: 1 });
    await h.writeObs(P, NIGHT, 'b', { seed: 2 });
    const full = withMinFree(h.config, '100%');
    const config = { ...full, pipelines: new Map([...h.config.pipelines, [P, pipeline]]) };

    const result = await executeStage(
      { config, db: h.t.db, logger: h.logger },
      { pipeline: P, stage: 'run', slot: new Date('2026-11-21T02:00:00Z'), trigger: 'schedule', date: NIGHT },
    );
    expect(result).toMatchObject({ kind: 'done', outcome: { ok: false, skipped: true, stats: { waitingForDisk: 1, pending: 2 } } });
    const [run] = await listRuns(h.t.db, { pipeline: P, limit: 1 });
    expect(run).toMatchObject({ state: 'skipped', error_code: 'DISK_LOW' });
    expect(run!.error).toMatch(
      new RegExp(`^waiting for disk: .* free under ${h.outbox(P)}, below retention.minFreeDisk \\(100% = .*\\); nothing new is submitted`),
    );
    expect(await observationStates(h.t, P)).toEqual({ a: 'pending', b: 'pending' });
    expect(await h.t.db.one('SELECT count(*)::int AS n FROM jobs WHERE pipeline = $1', [P])).toEqual({ n: 0 });
    const status = (await stageStatuses(config, h.t.db, { now: new Date() })).find((s) => s.pipeline === P && s.stage === 'run');
    expect(status?.last).toMatchObject({ state: 'skipped', detail: run!.error });

    const room = { ...config, daemon: h.config.daemon };
    const next = await executeStage(
      { config: room, db: h.t.db, logger: h.logger },
      { pipeline: P, stage: 'run', slot: new Date('2026-11-22T02:00:00Z'), trigger: 'schedule', date: NIGHT },
    );
    expect(next).toMatchObject({ kind: 'done', outcome: { ok: true } });
    expect(await observationStates(h.t, P)).toEqual({ a: 'done', b: 'done' });
  }, 120_000);
});
