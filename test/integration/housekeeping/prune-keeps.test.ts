// What nocturne prune keeps however old, against the real PostgreSQL: the last slot the
// scheduler catches up from, and the jobs of outputs that may still be loaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NocturneConfig } from '../../../src/config/types.js';
import { prune } from '../../../src/housekeeping/prune.js';
import { createPgSlotLedger } from '../../../src/scheduling/slot-ledger.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { testConfig } from '../../unit/scheduling/test-config.js';

let t: TestDb;
let config: NocturneConfig;

const run = (dryRun = false) => prune({ db: t.db, config, clock: { now: () => new Date() } }, { dryRun });

beforeAll(async () => {
  t = await createTestDb('prune_keeps');
  config = testConfig({ 'spoca-ar': { upload: { schedule: '0 * * * *' } } }, { retention: { runs: '1d' } });
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

describe('prune and the scheduler', () => {
  it("keeps a stage's last scheduled run when a manual run is newer: catch-up starts from it", async () => {
    await t.db.none(`INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at) VALUES
      ('spoca-ar', 'upload', date_trunc('hour', now()) - interval '4 days', 'schedule', 'succeeded', 'h', 1, now() - interval '4 days', now() - interval '4 days', now() - interval '4 days'),
      ('spoca-ar', 'upload', date_trunc('hour', now()) - interval '3 days' + interval '5 min', 'catchup', 'succeeded', 'h', 1, now() - interval '3 days', now() - interval '3 days', now() - interval '3 days'),
      ('spoca-ar', 'upload', now() - interval '2 days', 'manual', 'succeeded', 'h', 1, now() - interval '2 days', now() - interval '2 days', now() - interval '2 days')`);
    const before = await createPgSlotLedger(t.db).lastSlots();
    const dry = await run(true);
    const done = await run();
    // The older scheduled run goes; the last slot and the newest run (status) stay.
    expect(dry.kinds.runs.rows['runs']).toBe(1);
    expect(done.kinds.runs.rows['runs']).toBe(1);
    expect(await t.db.map(`SELECT trigger FROM runs ORDER BY slot`, [], (r: { trigger: string }) => r.trigger)).toEqual([
      'catchup',
      'manual',
    ]);
    const after = await createPgSlotLedger(t.db).lastSlots();
    expect(after).toEqual(before);
    expect(after.get('spoca-ar/upload')?.slot.getTime()).toBe(before.get('spoca-ar/upload')?.slot.getTime());
  });
});

describe('a failed dry run', () => {
  it('says it was counting, not removing', async () => {
    // An age the schema refuses (3000000d: before PostgreSQL's first timestamp), set past it.
    const daemon = { ...config.daemon, retention: { ...config.daemon.retention, runsMs: 3_000_000 * 86_400_000 } };
    const failing = prune({ db: t.db, config: { ...config, daemon }, clock: { now: () => new Date() } }, { dryRun: true });
    await expect(failing).rejects.toMatchObject({
      code: 'DB_FAILED',
      message: expect.stringMatching(/^prune runs: counting old rows of jobs: .*timestamp out of range/),
    });
  });
});
