import { afterAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import { featureCsv } from './feature-csv.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();

describe("single-CSV mode: a deadlock is one file's failure, not the database out of reach", () => {
  const pools: ReturnType<typeof openDb>[] = [];
  afterAll(async () => {
    for (const pool of pools) await closeDb(pool);
  });

  it('fails the file that lost, loads the others, and the next run loads it', async () => {
    const world = await newWorld('deadlock');
    await world.write('a.csv', featureCsv('a.csv', 5));
    await world.write('b.csv', featureCsv('b.csv', 5));
    // Every row of a.csv loses a deadlock, as the server reports one (SQLSTATE 40P01).
    await world.db.none(
      `CREATE FUNCTION $1:name.deadlock() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION 'deadlock detected (injected)' USING ERRCODE = '40P01'; END $$`,
      [world.spec.schema],
    );
    await world.db.none(
      `CREATE TRIGGER deadlock BEFORE INSERT ON $1:name.sunspots FOR EACH ROW
         WHEN (NEW.feat_filename = 'a.csv') EXECUTE FUNCTION $2:name.deadlock()`,
      [world.hfc, world.spec.schema],
    );
    // A pool of two: one file at a time, a.csv first.
    const pool = openDb({ url: world.spec.url, schema: world.spec.schema, poolSize: 2 });
    pools.push(pool);
    const outcome = await world.direct({ db: pool });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'DB_FAILED', retryable: true, details: { sqlstate: '40P01' } } });
    expect(outcome.stats).toMatchObject({ loaded: 1, failed: 1, pending: 0 });
    expect((await world.ledger()).map((r) => [r.path.slice(-5), r.status])).toEqual([['b.csv', 'loaded']]);

    await world.db.none('DROP TRIGGER deadlock ON $1:name.sunspots', [world.hfc]);
    expect((await world.direct({ db: pool })).stats).toMatchObject({ loaded: 1, skipped: 1 });
    expect(await world.count()).toBe(10);
  });
});
