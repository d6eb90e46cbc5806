import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import { featureCsv } from './feature-csv.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();

describe('failed COPYs', () => {
  it('roll back and give their connection back: 10 failing files leave a pool of 2 usable', async () => {
    const world = await newWorld('pool');
    // The server refuses row 2000 of each file, in the middle of its COPY.
    await world.db.none('ALTER TABLE $1:name.sunspots ADD CONSTRAINT below_2000 CHECK (id_feat < 2000)', [world.hfc]);
    for (let i = 0; i < 5; i++) await world.write(`server-refuses-${i}.csv`, featureCsv(`s${i}.csv`, 3000));
    // Here the reader refuses the last row: the COPY is cancelled (CopyFail) after 1999 rows went out.
    for (let i = 0; i < 5; i++) await world.write(`reader-refuses-${i}.csv`, `${featureCsv(`r${i}.csv`, 1999)}1;x\n`);

    const app = `nocturne-test-pool-${world.spec.schema}`;
    const small = openDb({ url: world.spec.url, schema: world.spec.schema, poolSize: 2, applicationName: app });
    try {
      const failing = await world.direct({ db: small });
      expect(failing.stats).toMatchObject({ files: 10, rejected: 10, loaded: 0, failed: 0 });
      const errors = (await world.ledger()).map((l) => l.error!.slice(world.source.length + 1));
      expect(errors.filter((e) => e.startsWith('server-refuses-'))[0]).toMatch(
        /^server-refuses-0.csv:2001: refused by PostgreSQL: new row for relation "sunspots" violates check constraint "below_2000"/,
      );
      expect(errors.filter((e) => e.startsWith('reader-refuses-'))[0]).toBe('reader-refuses-0.csv:2001: expected 17 fields, found 2');
      expect(await world.count()).toBe(0);

      expect(small.$pool.waitingCount).toBe(0);
      expect(small.$pool.idleCount).toBe(small.$pool.totalCount);
      const sessions = await world.db.any<{ state: string }>('SELECT state FROM pg_stat_activity WHERE application_name = $1', [app]);
      expect(sessions.every((s) => s.state === 'idle')).toBe(true);

      await world.write('fine.csv', featureCsv('fine.csv', 1500));
      const after = await world.direct({ db: small });
      expect(after.stats).toMatchObject({ loaded: 1, inserted: 1500 });
    } finally {
      await closeDb(small);
    }
  });
});
