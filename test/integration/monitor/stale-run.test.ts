// A run recorded as running whose holder stopped renewing its lease (killed): every view of
// the monitor says it is not running, as status and the overview do (runningRuns).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NocturneConfig } from '../../../src/config/types.js';
import { nightRuns, nightsGrid } from '../../../src/monitor/data/nights.js';
import { runDetail } from '../../../src/monitor/data/run.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('stale_run');
});
afterAll(() => t?.drop());

const config = {
  pipelines: new Map(['slow2', 'quick'].map((name) => [name, { config: { run: { timezone: 'UTC' } } }])),
} as unknown as NocturneConfig;

/** A run of `pipeline`/run recorded as running, its lease ending `leaseMinutes` from now. */
async function running(pipeline: string, slot: string, leaseMinutes: number): Promise<number> {
  const row = await t.db.one<{ id: string }>(
    `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at)
     VALUES ($1, 'run', $2::timestamptz, 'manual', 'running', 'elsewhere', 4242, now() + $3 * interval '1 minute', $2::timestamptz)
     RETURNING id`,
    [pipeline, slot, leaseMinutes],
  );
  return Number(row.id);
}

describe('a killed run on the monitor', () => {
  it('shows as interrupted, not running, on its page, its night and the nights grid; a live one still runs', async () => {
    const dead = await running('slow2', '2026-11-20T02:00:00Z', -5);
    const live = await running('quick', '2026-11-21T02:00:00Z', 5);

    const detail = (await runDetail(config, t.db, dead))!.run;
    expect([detail.state, detail.error]).toEqual([
      'interrupted',
      'not running: its holder on elsewhere (pid 4242) stopped renewing its lease; the next run takes it over',
    ]);
    expect((await runDetail(config, t.db, live))!.run.state).toBe('running');

    expect((await nightRuns(config, t.db, '2026-11-20')).map((r) => [r.state, r.summary])).toEqual([
      ['interrupted', 'not running: its holder on elsewhere (pid 4242) stopped renewing its lease'],
    ]);
    expect((await nightRuns(config, t.db, '2026-11-21')).map((r) => r.state)).toEqual(['running']);

    const grid = await nightsGrid(config, t.db, new Date('2026-11-21T12:00:00Z'), 2);
    const cells = grid.pipelines.map((p) => [p.pipeline, ...p.nights.map((n) => [n.night, n.stages[0]!.outcome, n.stages[0]!.runs])]);
    expect(cells).toEqual([
      ['slow2', ['2026-11-21', 'none', {}], ['2026-11-20', 'interrupted', { interrupted: 1 }]],
      ['quick', ['2026-11-21', 'running', { running: 1 }], ['2026-11-20', 'none', {}]],
    ]);
  });
});
