// night_problems for pipelines that load single CSV files (ingest.table): a file refused
// as a whole and the rows set aside from a loaded one, each located file:line[:column]
// (file names only: readers see no directories of the ingest host),
// under the observing night of the file's name (the ingest stage's time zone: this
// pipeline has no run stage).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/database.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { closedAfterEach } from '../../helpers/closed-after-each.js';
import { useWorlds } from '../ingest/use-world.js';

const newWorld = useWorlds();
const catalogue = closedAfterEach(async (db: Db, schema: string, stateSchema: string) => {
  await installCatalogue(db, { schema, stateSchema });
  return { schema, close: () => db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]).then(() => undefined) };
});

describe('night_problems of single-CSV pipelines', () => {
  it('names each rejected file and quarantined row by its file name, located, under the night of its name', async () => {
    const world = await newWorld('problems', { ingest: { badRows: { policy: 'quarantine' } } });
    const { schema } = await catalogue(world.db, `${world.spec.schema}_cat`, world.spec.schema);
    const rejected = await world.fixture('bad-header.csv', 'sdoss_106_20261121T000045_sdo_feat.csv');
    const loaded = await world.fixture('bad-number.csv', 'sdoss_106_20261121T040045_sdo_feat.csv');
    await world.fixture('good.csv', 'sdoss_106_20261120T080045_sdo_feat.csv');
    await world.run();

    expect(
      await world.db.any(
        `SELECT night::text, pipeline, stage, problem, retry_name, location, reason FROM $1:name.night_problems ORDER BY problem`,
        [schema],
      ),
    ).toEqual([
      {
        night: '2026-11-21',
        pipeline: 'sdoss',
        stage: 'ingest',
        problem: 'quarantined row',
        retry_name: path.basename(loaded),
        location: `${path.basename(loaded)}:4`,
        reason: 'FEAT_X_ARCSEC: "12.3.4" is not a number',
      },
      {
        night: '2026-11-21',
        pipeline: 'sdoss',
        stage: 'ingest',
        problem: 'rejected file',
        retry_name: path.basename(rejected),
        location: expect.stringMatching(new RegExp(`^${path.basename(rejected).replaceAll('.', '\\.')}:1(:|$)`)),
        reason: expect.any(String),
      },
    ]);
    // The loaded files count under their own nights.
    expect(
      await world.db.any(`SELECT night::text, files_loaded::int, files_rejected::int FROM $1:name.ingestion_stats ORDER BY night`, [
        schema,
      ]),
    ).toEqual([
      { night: '2026-11-20', files_loaded: 1, files_rejected: 0 },
      { night: '2026-11-21', files_loaded: 1, files_rejected: 1 },
    ]);
  });
});
