// The nights grid counts nights as the stages do, in their time zones: a zone ahead of UTC
// has its newest night's runs shown before UTC's date changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NocturneConfig } from '../../../src/config/types.js';
import { nightsGrid } from '../../../src/monitor/data/nights.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('nights_grid');
});
afterAll(() => t?.drop());

describe('the nights grid', () => {
  it("ends with the newest night of the stages' zones, not UTC's", async () => {
    const config = {
      pipelines: new Map([['sydney', { config: { run: { timezone: 'Australia/Sydney' } } }]]),
    } as unknown as NocturneConfig;
    // 03:00 on 22 November in Sydney (UTC+11), still the 21st in UTC.
    await t.db.none(
      `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at)
       VALUES ('sydney', 'run', '2026-11-21T16:00:00Z', 'schedule', 'succeeded', 'h', 1, now(), '2026-11-21T16:00:00Z', '2026-11-21T16:10:00Z')`,
    );
    const grid = await nightsGrid(config, t.db, new Date('2026-11-21T20:00:00Z'), 2);
    expect(grid.nights).toEqual(['2026-11-22', '2026-11-21']);
    expect(grid.pipelines[0]!.nights.map((n) => [n.night, n.stages[0]!.outcome])).toEqual([
      ['2026-11-22', 'succeeded'],
      ['2026-11-21', 'none'],
    ]);
  });
});
