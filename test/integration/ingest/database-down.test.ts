import { describe, expect, it } from 'vitest';
import { sleep } from '../../../src/core/abort.js';
import { closeDb, openDb } from '../../../src/db/database.js';
import { startService, stopService } from '../../../harness/rig.js';
import { featureCsv, writeFeatureCsv } from './feature-csv.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();

describe('the database out of reach', () => {
  it('keeps files pending, says so, and a later run loads them once', async () => {
    const world = await newWorld('dbdown');
    for (let i = 0; i < 3; i++) await world.write(`n${i}.csv`, featureCsv(`n${i}.csv`, 100));

    // Down before the run.
    await stopService('postgres');
    try {
      const outcome = await world.direct();
      expect(outcome).toMatchObject({ ok: false, error: { code: 'DB_FAILED', retryable: true }, stats: { loaded: 0, pending: 3 } });
      expect(outcome.summary).toMatch(/database unavailable: 3 files left pending for the next run$/);
    } finally {
      await startService('postgres');
    }

    // Down in the middle of a COPY: that file rolls back, it and the files after it stay pending.
    await writeFeatureCsv(`${world.source}/m-big.csv`, 'm-big.csv', 150_000);
    const app = `nocturne-test-dbdown-${world.spec.schema}`;
    const other = openDb({ url: world.spec.url, schema: world.spec.schema, poolSize: 2, applicationName: app });
    const running = world.direct({ db: other });
    try {
      for (let waited = 0; ; waited += 20) {
        const copying = await world.db.oneOrNone(
          `SELECT 1 FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1`,
          [app],
        );
        if (copying) break;
        if (waited > 30_000) throw new Error('the run never started its COPY');
        await sleep(20);
      }
      await stopService('postgres');
      const outcome = await running;
      expect(outcome).toMatchObject({ ok: false, error: { code: 'DB_FAILED' }, stats: { loaded: 0, pending: 4 } });
    } finally {
      await startService('postgres');
      await closeDb(other);
    }

    const after = await world.run();
    expect(after.stats).toMatchObject({ loaded: 4, inserted: 150_300 });
    expect(await world.count()).toBe(150_300);
    expect(await world.ledger()).toHaveLength(4);
  });
});
