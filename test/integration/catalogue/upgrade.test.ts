// Installing the catalogue over one installed by an earlier nocturne: the columns added
// since appear, natural keys become normalised (rows equal under nk() merged, their
// references re-pointed), observations are keyed per load, a corrected metadata row keeps its old values in
// metadata_history, and installing again changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

let test: TestDb;
const hfc = () => `${test.schema}_hfc`;

beforeAll(async () => {
  test = await createTestDb('catalogue_upgrade');
  await installCatalogue(test.db, { schema: hfc(), stateSchema: test.schema });
});

afterAll(async () => {
  await test.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [hfc()]);
  await test.drop();
});

describe('catalogue install over an earlier one', () => {
  it('adds the new columns, merges rows equal under nk(), and is idempotent', async () => {
    const s = hfc();
    // The earlier shape: plain unique constraints, no extra/local_id/type_iii columns.
    await test.db.none(
      `DROP INDEX $1:name.frc_info_natural_key; DROP INDEX $1:name.observatory_natural_key;
       ALTER TABLE $1:name.frc_info ADD CONSTRAINT frc_info_natural_key UNIQUE NULLS NOT DISTINCT (institut, code, version, feature_name);
       ALTER TABLE $1:name.observatory ADD CONSTRAINT observatory_natural_key UNIQUE NULLS NOT DISTINCT (observat, instrume, telescop, wavemin, wavemax);
       DROP VIEW $1:name.view_type_iii_hqi;
       ALTER TABLE $1:name.type_iii DROP COLUMN multiple, DROP COLUMN snapshot_fn, DROP COLUMN extra, DROP COLUMN local_id;
       ALTER TABLE $1:name.observations DROP COLUMN time_origin, DROP COLUMN extra,
         DROP CONSTRAINT observations_natural_key, ADD CONSTRAINT observations_natural_key UNIQUE (observatory_id, date_obs, filename);
       INSERT INTO $1:name.observatory (observat, instrume, telescop, wavemin, wavemax) VALUES ('Wind', 'Waves', 'Rad2', 1.075, 13.825);
       INSERT INTO $1:name.observatory (observat, instrume, telescop, wavemin, wavemax) VALUES ('WIND', ' WAVES ', 'RAD2', 1.075, 13.825);
       INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host)
         VALUES ('s', 'p', 'c', '1', 'k', 'set', repeat('a', 64), '[]', 'loaded', 'h');
       INSERT INTO $1:name.observations (observatory_id, date_obs, date_end, filename, loc_filename, load_id)
         SELECT max(id_observatory), now(), now(), 'f', 'l', (SELECT max(id) FROM ingested_sets) FROM $1:name.observatory`,
      [s],
    );
    await installCatalogue(test.db, { schema: s, stateSchema: test.schema });
    await installCatalogue(test.db, { schema: s, stateSchema: test.schema });
    const observatory = await test.db.any<{ id: string; observat: string }>(
      `SELECT id_observatory AS id, observat FROM $1:name.observatory`,
      [s],
    );
    expect(observatory.map((r) => r.observat)).toEqual(['Wind']);
    const observation = await test.db.one<{ observatory_id: string }>(`SELECT observatory_id FROM $1:name.observations`, [s]);
    expect(observation.observatory_id).toBe(observatory[0]!.id);
    const columns = await test.db.any<{ c: string }>(
      `SELECT table_name || '.' || column_name AS c FROM information_schema.columns
        WHERE table_schema = $1 AND column_name IN ('multiple', 'snapshot_fn', 'extra', 'local_id', 'time_origin') ORDER BY 1`,
      [s],
    );
    expect(columns.map((r) => r.c)).toEqual(
      expect.arrayContaining([
        'observations.extra',
        'observations.time_origin',
        'type_iii.extra',
        'type_iii.local_id',
        'type_iii.multiple',
        'type_iii.snapshot_fn',
      ]),
    );
    await expect(
      test.db.none(
        `INSERT INTO $1:name.observatory (observat, instrume, telescop, wavemin, wavemax) VALUES ('wind', 'waves', 'rad2', 1.075, 13.825)`,
        [s],
      ),
    ).rejects.toThrow(/observatory_natural_key/);
    // Observations are keyed per load: another load of the same image goes in beside it.
    const key = await test.db.one<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND conname = 'observations_natural_key'`,
      [`${s}.observations`],
    );
    expect(key.def).toBe('UNIQUE (observatory_id, date_obs, filename, load_id)');
  });

  it('keeps the old values of a corrected metadata row in metadata_history', async () => {
    const s = hfc();
    await test.db.none(`UPDATE $1:name.observatory SET comment = 'corrected'`, [s]);
    const history = await test.db.one<{ table_name: string; old: string | null; new: string }>(
      `SELECT table_name, old_values ->> 'comment' AS old, new_values ->> 'comment' AS new FROM $1:name.metadata_history`,
      [s],
    );
    expect(history).toEqual({ table_name: 'observatory', old: null, new: 'corrected' });
  });
});
