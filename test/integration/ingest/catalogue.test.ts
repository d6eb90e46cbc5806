import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_SQL_DIR } from '../../../src/stages/ingest/catalogue.js';
import { installCatalogue } from '../../../src/stages/ingest/index.js';
import { useWorlds } from './use-world.js';
import { FIXTURES } from './world.js';

const run = promisify(execFile);

const newWorld = useWorlds();

describe('the example HFC catalogue', () => {
  it('installs again without harm, and comments every table, view and column', async () => {
    const world = await newWorld('catalogue');
    await installCatalogue(world.db, { schema: world.hfc, stateSchema: world.spec.schema });
    // psql installs the same thing (install.psql), here into a second schema.
    const second = `${world.hfc}2`;
    await run('psql', [world.spec.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `catalogue=${second}`, '-v', `state=${world.spec.schema}`, '-f', path.join(CATALOGUE_SQL_DIR, 'install.psql')]);
    try {
      for (const schema of [world.hfc, second]) {
        const relations = await world.db.map(
          `SELECT c.relname || ':' || c.relkind::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'v') ORDER BY 1`,
          [schema],
          (r: { r: string }) => r.r,
        );
        expect(relations).toEqual([
          'active_regions:r', 'codes:r', 'features:v', 'ingestion_stats:v', 'latest_features:v', 'observations:r',
          'quarantined_rows:v', 'rejected_files:v', 'sunspots:r', 'type_iii:r',
        ]);
        const uncommented = await world.db.any(
          `SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'v')
              AND (obj_description(c.oid, 'pg_class') IS NULL OR col_description(c.oid, a.attnum) IS NULL)`,
          [schema],
        );
        expect(uncommented).toEqual([]);
      }
    } finally {
      await world.db.none('DROP SCHEMA $1:name CASCADE', [second]);
    }
  });

  it('answers the analysts\' views: latest features, ingestion statistics, rejected files', async () => {
    const world = await newWorld('views');
    await world.fixture('good.csv');
    await world.fixture('bad-number.csv');
    // A re-run of the same observation by the code, a day later: the newer features hide the older.
    const rerun = (await readFile(path.join(FIXTURES, 'good.csv'), 'utf8'))
      .replaceAll('good.csv', 'good-rerun.csv')
      .replaceAll('2026-11-21T02:00:00', '2026-11-22T02:00:00')
      .split('\n')
      .slice(0, 3)
      .join('\n');
    await writeFile(path.join(world.source, 'good-rerun.csv'), `${rerun}\n`);
    await world.run();

    const latest = await world.db.any('SELECT feature_type, feat_filename, id_feat FROM $1:name.latest_features ORDER BY id_feat', [world.hfc]);
    expect(latest).toEqual([
      { feature_type: 'sunspots', feat_filename: 'good-rerun.csv', id_feat: 1 },
      { feature_type: 'sunspots', feat_filename: 'good-rerun.csv', id_feat: 2 },
      // The only feature seen on instrument "HMI;Ic": its latest run is the first one.
      { feature_type: 'sunspots', feat_filename: 'good.csv', id_feat: 3 },
    ]);
    expect(await world.db.one('SELECT count(*)::int AS n FROM $1:name.features', [world.hfc])).toEqual({ n: 7 });

    const stats = await world.db.any('SELECT code, code_version, pipeline, files_loaded::int, files_rejected::int, rows_read::int, rows_inserted::int FROM $1:name.ingestion_stats', [world.hfc]);
    expect(stats).toEqual([{ code: 'sdoss', code_version: '1.06', pipeline: 'sdoss', files_loaded: 2, files_rejected: 1, rows_read: 11, rows_inserted: 7 }]);

    const rejected = await world.db.one<{ path: string; error: string }>('SELECT path, error FROM $1:name.rejected_files', [world.hfc]);
    expect(rejected.error).toBe(`${rejected.path}:4:FEAT_X_ARCSEC: "12.3.4" is not a number`);
  });
});
