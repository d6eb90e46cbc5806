import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../../src/db/database.js';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, SPOCA, feat, init, writeSpoca } from './sdoss-files.js';
import { useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();

async function sdoss(w: SetsWorld, x = 0): Promise<void> {
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
  await w.write(INIT, init(DATE));
  await w.write(FEAT, feat(FEAT, 3, x));
}

/** Makes every INSERT into `table` fail with SQLSTATE `code`, as the server would (deadlock, disk full...). */
async function failInserts(w: SetsWorld, schema: string, table: string, code: string): Promise<() => Promise<void>> {
  await w.db.none(
    `CREATE OR REPLACE FUNCTION $1:name.fail_with() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'injected failure' USING ERRCODE = TG_ARGV[0]; END $$`,
    [w.test.schema],
  );
  await w.db.none(`CREATE TRIGGER fail BEFORE INSERT ON $1:name.$2:name FOR EACH ROW EXECUTE FUNCTION $3:name.fail_with($4)`, [
    schema,
    table,
    w.test.schema,
    code,
  ]);
  return async () => {
    await w.db.none('DROP TRIGGER fail ON $1:name.$2:name', [schema, table]);
  };
}

/** A failed set: nothing rejected, nothing set aside, the error retryable or not as `retryable`. */
async function expectFailed(w: SetsWorld, files: string[], code: string, retryable: boolean): Promise<void> {
  const outcome = await w.run();
  expect(outcome.stats).toMatchObject({ failed: 1, rejected: 0, loaded: 0 });
  expect(outcome.ok).toBe(false);
  expect(outcome.error?.code).toBe('DB_FAILED');
  expect(outcome.error?.retryable).toBe(retryable);
  expect(outcome.error?.message).toContain('injected failure');
  expect(outcome.error?.details).toMatchObject({ sqlstate: code });
  expect((await w.ledger()).filter((r) => r.status === 'rejected')).toEqual([]);
  expect((await readdir(w.source)).sort()).toEqual(expect.arrayContaining(files));
}

describe('ingest sets mode: a failure of the database is not bad data', () => {
  it('leaves a new set pending on a deadlock (one-message path), and loads it on the next run', async () => {
    const w = await world('deadlock');
    await sdoss(w);
    const drop = await failInserts(w, w.hfc, 'observations', '40P01');
    await expectFailed(w, [INIT, FEAT], '40P01', true);
    await drop();
    expect((await w.run()).stats).toMatchObject({ loaded: 1, failed: 0 });
  });

  it('leaves a replacing set pending on disk full (two-message path)', async () => {
    const w = await world('disk-full');
    await sdoss(w);
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    await w.write(FEAT, feat(FEAT, 4, 1000));
    const drop = await failInserts(w, w.hfc, 'sunspots', '53100');
    await expectFailed(w, [INIT, FEAT], '53100', false);
    await drop();
    expect((await w.run()).stats).toMatchObject({ loaded: 1, replaced: 1 });
  });

  it('leaves a track file pending when the database is read-only', async () => {
    const w = await world('read-only', { code: 'spoca-ar' });
    await writeSpoca(w, 3);
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    const track = `spoca_301_${DATE}_sdo_track.csv`;
    await w.write(track, SPOCA.track([[DATE, 2, 7]]));
    const drop = await failInserts(w, w.hfc, 'activeregions_tracking', '25006');
    await expectFailed(w, [track], '25006', false);
    await drop();
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
  });

  it('still rejects a set whose rows the database refuses (class 23)', async () => {
    const w = await world('refused');
    await sdoss(w);
    await failInserts(w, w.hfc, 'sunspots', '23514');
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ rejected: 1, failed: 0 });
    // A trigger's RAISE names no table: the error names the set.
    expect((await w.ledger())[0]!.error).toBe(`${KEY}: refused by the database: injected failure`);
  });

  it('returns a failed rejection record as failed, never throws it', async () => {
    const w = await world('record-fails');
    await sdoss(w);
    await w.write(FEAT, feat(FEAT, 3).replace(';1231;1676;', ';1.231e3;1676;'));
    const drop = await failInserts(w, w.test.schema, 'ingested_sets', '53100');
    await expectFailed(w, [INIT, FEAT], '53100', false);
    await drop();
    expect((await w.run()).stats).toMatchObject({ rejected: 1, failed: 0 });
  });

  it('returns a failed connection as failed while the other sets go on', async () => {
    const w = await world('connect');
    await sdoss(w);
    const other = `sdoss_106_20140221T060045_sdo_feat.csv`;
    await w.write('sdoss_106_20140221T060045_sdo_init.csv', init('20140221T060045'));
    await w.write(other, feat(other, 2));
    // The first connection of the run is made as a role allowed none: PostgreSQL refuses it (53300).
    const role = `${w.test.schema}_none`;
    await w.db.none('CREATE ROLE $1:name LOGIN CONNECTION LIMIT 0', [role]);
    const url = new URL(w.test.url);
    url.username = role;
    const refusing = openDb({ url: url.toString(), schema: w.test.schema, poolSize: 1, applicationName: 'no-connection' });
    let first = true;
    const db = Object.create(w.db) as Db;
    db.connect = (...args: Parameters<Db['connect']>) => {
      if (!first) return w.db.connect(...args);
      first = false;
      return refusing.connect(...args);
    };
    try {
      const outcome = await w.direct(db);
      expect(outcome.stats).toMatchObject({ loaded: 1, failed: 1, rejected: 0 });
      expect(outcome.error?.message).toMatch(/: connecting to the database: too many connections for role/);
    } finally {
      await closeDb(refusing);
      await w.db.none('DROP ROLE $1:name', [role]);
    }
    expect((await w.run()).stats).toMatchObject({ loaded: 1, skipped: 1 });
    expect((await w.ledger()).filter((r) => r.set_key === KEY).map((r) => r.status)).toEqual(['loaded']);
  });
});
