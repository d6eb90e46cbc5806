// Smoke test of the rig's PostgreSQL: the test database answers queries.
import { afterAll, describe, expect, it } from 'vitest';
import pgPromise from 'pg-promise';
import { rig } from '../../../harness/rig.js';

describe('rig: PostgreSQL', () => {
  const r = rig();
  const pgp = pgPromise();
  const db = pgp({ connectionString: r.pgUrl, connectionTimeoutMillis: 5_000 });

  afterAll(() => pgp.end());

  it('answers in the nocturne_test database and can write', async () => {
    const row = await db.one<{ db: string; one: number }>('select current_database() as db, 1::int as one');
    expect(row).toEqual({ db: 'nocturne_test', one: 1 });
    // A write round trip inside a transaction that is rolled back.
    await db
      .tx(async (t) => {
        await t.none('create temp table rig_smoke (v text) on commit drop');
        await t.none('insert into rig_smoke (v) values ($1)', ['ok']);
        expect(await t.one<{ v: string }>('select v from rig_smoke')).toEqual({ v: 'ok' });
        throw new Error('rollback');
      })
      .catch((err: unknown) => {
        if (!(err instanceof Error) || err.message !== 'rollback') throw err;
      });
  });
});
