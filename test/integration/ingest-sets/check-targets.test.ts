import { describe, expect, it } from 'vitest';
import { checkIngestTargets } from '../../../src/stages/ingest/index.js';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('nocturne validate --db, sets mode', () => {
  it('finds nothing wrong with the installed catalogue', async () => {
    const w = await world('check-ok', { code: 'spoca-ar' });
    expect(await checkIngestTargets(w.db, w.config)).toEqual([]);
  });

  it('names a missing table, and a referenced column the table lacks, at their lines', async () => {
    const missing = await world('check-table', { sets: { features: { table: 'sunspot', localId: 'ID_SUNSPOT', references: {} } } });
    const [issue] = await checkIngestTargets(missing.db, missing.config);
    expect(issue?.message).toBe(`ingest.sets.features: table ${missing.hfc}.sunspot does not exist`);
    expect(issue?.line).toBeGreaterThan(1);

    const column = await world('check-column', {
      sets: { features: { table: 'sunspots', localId: 'ID_SUNSPOT', references: { FRC_INFO_ID: 'frcInfo', OBS_IC: 'observations' } } },
    });
    const issues = await checkIngestTargets(column.db, column.config);
    expect(issues.map((i) => i.message)).toEqual([
      `ingest.sets.features: table ${column.hfc}.sunspots has no column obs_ic (the column of reference OBS_IC)`,
    ]);
  });

  it('says once how to install a catalogue that is not there, instead of naming each of its tables', async () => {
    const w = await world('check-none', { sets: { catalogue: 'nowhere_hfc' } });
    const issues = await checkIngestTargets(w.db, w.config);
    expect(issues.map((i) => i.message)).toEqual([
      "ingest.sets.catalogue: schema nowhere_hfc holds none of the catalogue's tables: install the catalogue " +
        '(psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -v catalogue=nowhere_hfc -f sql/catalogue/install.psql; sql/catalogue/README.md)',
    ]);
  });
});

describe('natural keys of the metadata tables', () => {
  it('refuses, in validate and at run time, a natural key whose unique index treats NULLs as distinct', async () => {
    const w = await world('check-nulls');
    await w.db.none(
      `DROP INDEX $1:name.observatory_natural_key;
       ALTER TABLE $1:name.observatory ADD CONSTRAINT observatory_nk UNIQUE (observat, instrume, telescop, wavemin, wavemax)`,
      [w.hfc],
    );
    const problem = `ingest.sets.observatory.naturalKey: unique index ${w.hfc}.observatory_nk on (observat, instrume, telescop, wavemin, wavemax) treats NULLs as distinct, and instrume, telescop, wavemin, wavemax may be NULL: declare it UNIQUE NULLS NOT DISTINCT`;
    expect((await checkIngestTargets(w.db, w.config)).map((i) => i.message)).toEqual([problem]);
    const outcome = await w.run();
    expect(outcome.error?.message).toBe(problem);
  });

  it('rejects a set whose metadata row another unique key of the table turns away, naming the key', async () => {
    const w = await world('unresolved');
    await w.db.none('ALTER TABLE $1:name.observatory ADD CONSTRAINT observatory_one_per_observat UNIQUE (observat)', [w.hfc]);
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 3));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ rejected: 1, loaded: 0 });
    const [row] = await w.ledger();
    expect(row!.error).toMatch(
      new RegExp(`^${KEY}: refused by the database: duplicate key value violates unique constraint "observatory_one_per_observat"$`),
    );
    expect(await w.count('observations')).toBe(0);
  });
});
