import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/database.js';
import { CATALOGUE_SQL_DIR, installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { closedAfterEach } from '../../helpers/closed-after-each.js';
import { useWorlds } from './use-world.js';
import type { IngestWorld } from './world.js';

const run = promisify(execFile);

const newWorld = useWorlds();

/** The catalogue `schema` installed beside a world, dropped after the test (before the world: hooks run in reverse). */
const installedCatalogue = closedAfterEach(async (db: Db, schema: string, stateSchema: string) => {
  const drop = () => db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]).then(() => undefined);
  try {
    await installCatalogue(db, { schema, stateSchema });
  } catch (error) {
    await drop();
    throw error;
  }
  return { schema, close: drop };
});

/**
 * Installs the HFC catalogue into `<state>_cat` beside the world (whose own `hfc` schema
 * holds the single-CSV tests' table): its ledger views read the world's state schema.
 */
async function catalogueOf(world: IngestWorld): Promise<string> {
  return (await installedCatalogue(world.db, `${world.spec.schema}_cat`, world.spec.schema)).schema;
}

/** A set load in the state's ledger; returns its id. */
async function ledgerRow(
  db: Db,
  setKey: string,
  status: string,
  rows: Record<string, number>,
  error: string | null = null,
): Promise<string> {
  const { id } = await db.one<{ id: string }>(
    `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, rows, error, host, finished_at)
     VALUES ('local:/hfc', 'sdoss', 'sdoss', '1.06', $1, 'set', repeat(md5($1 || $2), 2), '[]', $2, $3, $4, 'test-host', '2026-11-21T03:00:00Z')
     RETURNING id`,
    [setKey, status, rows, error],
  );
  return id;
}

describe('the HFC catalogue (sql/catalogue)', () => {
  it('installs again without harm, by psql too, and comments every table, view and column', async () => {
    const world = await newWorld('catalogue');
    const hfc = await catalogueOf(world);
    await installCatalogue(world.db, { schema: hfc, stateSchema: world.spec.schema });
    // psql installs the same thing (install.psql), here into a second schema.
    const second = `${world.spec.schema}_cat2`;
    await run('psql', [
      world.spec.url,
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-v',
      `catalogue=${second}`,
      '-v',
      `state=${world.spec.schema}`,
      '-f',
      path.join(CATALOGUE_SQL_DIR, 'install.psql'),
    ]);
    try {
      for (const schema of [hfc, second]) {
        const relations = await world.db.map(
          `SELECT c.relname || ':' || c.relkind::text AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'v') ORDER BY 1`,
          [schema],
          (r: { r: string }) => r.r,
        );
        expect(relations).toEqual([
          'activeregions:r',
          'activeregions_tracking:r',
          'archived_files:v',
          'frc_info:r',
          'ingestion_stats:v',
          'metadata_history:r',
          'night_problems:v',
          'observations:r',
          'observatory:r',
          'quarantined_rows:v',
          'rejected_files:v',
          'rejected_sets:v',
          'set_loads:v',
          'sunspots:r',
          'type_iii:r',
          'view_ar_hqi:v',
          'view_sunspots_hqi:v',
          'view_type_iii_hqi:v',
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
      // The SDOSS header in lower case is the sunspots table, in order, plus the generated columns (row_ordinal, load_id, local_id, extra).
      const columns = await world.db.map(
        `SELECT a.attname FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [`${hfc}.sunspots`],
        (r: { attname: string }) => r.attname,
      );
      expect(columns).toHaveLength(85 + 4);
      expect(columns.slice(12, 20)).toEqual([
        'br_x0_pix',
        'br_y0_pix',
        'br_x1_pix',
        'br_y1_pix',
        'br_x2_pix',
        'br_y2_pix',
        'br_x3_pix',
        'br_y3_pix',
      ]);
    } finally {
      await world.db.none('DROP SCHEMA $1:name CASCADE', [second]);
    }
  });

  it('keys rows naturally, and a load is removed by its load_id, tracking rows with its features', async () => {
    const world = await newWorld('catalogue_keys');
    const hfc = await catalogueOf(world);
    const load = await ledgerRow(world.db, 'spoca-ar_301_20140221T000000_sdo', 'loaded', { observations: 1, activeregions: 2 });
    const other = await ledgerRow(world.db, 'spoca-ar_302_20140221T000000_sdo', 'loaded', { observations: 1 });
    await world.db.tx(async (tx) => {
      await tx.none('SET LOCAL search_path TO $1:name', [hfc]);
      await tx.none(`INSERT INTO frc_info (institut, code, version, feature_name) VALUES (NULL, 'SPOCA', '3.01', 'ACTIVE REGIONS')`);
      await tx.none(`INSERT INTO observatory (observat, instrume, telescop, wavemin, wavemax) VALUES ('SDO', 'AIA', 'AIA_3', 17.1, 17.1)`);
      await tx.none(
        `INSERT INTO observations (observatory_id, date_obs, date_end, filename, loc_filename, load_id)
         SELECT id_observatory, '2014-02-21T00:00:00Z', '2014-02-21T00:00:02Z', 'aia.fits', '/data/aia.fits', $1 FROM observatory`,
        [load],
      );
      await tx.none(
        `INSERT INTO activeregions (frc_info_id, observations_id, feat_filename, row_ordinal, br_pix, load_id)
         SELECT i.id_frc_info, o.id_observations, 'spoca-ar_301_20140221T000000_sdo_feat.csv', n, '{163,1,970,81}', $1
           FROM frc_info i, observations o, generate_series(1, 2) n`,
        [load],
      );
    });
    // SET LOCAL: a plain SET would stay on the pooled connection and hide the state schema from later queries.
    const violation = (sql: string) =>
      world.db
        .tx((tx) => tx.none(`SET LOCAL search_path TO ${hfc}; ${sql}`))
        .then(
          () => 'inserted',
          (e: Error) => e.message,
        );
    // NULLS NOT DISTINCT: the same code without an institut is the same row.
    expect(
      await violation(`INSERT INTO frc_info (institut, code, version, feature_name) VALUES (NULL, 'SPOCA', '3.01', 'ACTIVE REGIONS')`),
    ).toMatch(/frc_info_natural_key/);
    expect(
      await violation(`INSERT INTO observations (observatory_id, date_obs, date_end, filename, loc_filename, load_id)
      SELECT observatory_id, date_obs, date_end, filename, 'elsewhere', load_id FROM observations`),
    ).toMatch(/observations_natural_key/);
    // Another load (a new code version) of the same image has its own row.
    expect(
      await violation(`INSERT INTO observations (observatory_id, date_obs, date_end, filename, loc_filename, load_id)
      SELECT observatory_id, date_obs, date_end, filename, loc_filename, ${other} FROM observations`),
    ).toBe('inserted');
    await world.db.none('DELETE FROM $1:name.observations WHERE load_id = $2', [hfc, other]);
    expect(
      await violation(`INSERT INTO activeregions (frc_info_id, observations_id, feat_filename, row_ordinal, load_id)
      SELECT frc_info_id, observations_id, feat_filename, 2, load_id FROM activeregions LIMIT 1`),
    ).toMatch(/activeregions_natural_key/);

    const track = await ledgerRow(world.db, 'spoca-ar_301_20140222T000000_sdo_track.csv', 'loaded', { activeregions_tracking: 2 });
    await world.db.none(
      `INSERT INTO $1:name.activeregions_tracking (track_id, ar_id, feat_filename, load_id) SELECT 7, id_ar, feat_filename, $2 FROM $1:name.activeregions`,
      [hfc, track],
    );
    const view = await world.db.one(
      'SELECT code, observat, filename, snapshot, br_pix, row_ordinal FROM $1:name.view_ar_hqi ORDER BY row_ordinal LIMIT 1',
      [hfc],
    );
    expect(view).toEqual({
      code: 'SPOCA',
      observat: 'SDO',
      filename: 'aia.fits',
      snapshot: null,
      br_pix: [163, 1, 970, 81],
      row_ordinal: 1,
    });

    await world.db.tx(async (tx) => {
      for (const table of ['activeregions', 'observations']) {
        await tx.none('DELETE FROM $1:name.$2:name WHERE load_id = $3', [hfc, table, load]);
      }
    });
    const left = await world.db.one(
      `SELECT (SELECT count(*) FROM $1:name.activeregions_tracking)::int AS tracking, (SELECT count(*) FROM $1:name.frc_info)::int AS frc_info`,
      [hfc],
    );
    expect(left).toEqual({ tracking: 0, frc_info: 1 });
  });

  it("answers the analysts' views: HQI rows with their snapshot, statistics of files and sets, rejected sets", async () => {
    const world = await newWorld('catalogue_views');
    const hfc = await catalogueOf(world);
    await world.fixture('good.csv');
    await world.fixture('bad-number.csv');
    await world.run();
    const load = await ledgerRow(world.db, 'sdoss_106_20140221T000045_sdo', 'loaded', { observations: 2, sunspots: 1 });
    await ledgerRow(
      world.db,
      'sdoss_106_20140222T000045_sdo',
      'rejected',
      {},
      'sdoss_106_20140222T000045_sdo_feat.csv:3:FEAT_X_PIX: "1.2e3" is not an integer',
    );
    await world.db.tx(async (tx) => {
      await tx.none('SET LOCAL search_path TO $1:name', [hfc]);
      await tx.none(`INSERT INTO frc_info (institut, code, version, feature_name) VALUES ('MSSL', 'SDOSS', '1.06', 'SUNSPOTS')`);
      await tx.none(
        `INSERT INTO observatory (observat, instrume, telescop, wavemin, wavemax) VALUES ('SDO', 'HMI', 'Continuum', 617.133, 617.133), ('SDO', 'HMI', 'Magnetogram', 617.133, 617.133)`,
      );
      await tx.none(
        `INSERT INTO observations (observatory_id, date_obs, date_end, filename, loc_filename, qclk_url, qclk_fname, load_id)
         SELECT id_observatory, '2014-02-21T00:00:45Z', '2014-02-21T00:00:45Z', 'hmi.' || telescop || '.fits', '/data/' || telescop,
                'ftp://archive.example.org/hfc/sdoss/', CASE telescop WHEN 'Continuum' THEN 'ic.jpg' END, $1
           FROM observatory`,
        [load],
      );
      await tx.none(
        `INSERT INTO sunspots (frc_info_id, observations_id_ic, observations_id_m, cc, rs, feat_filename, row_ordinal, load_id)
         SELECT (SELECT id_frc_info FROM frc_info), ic.id_observations, m.id_observations, '0123', '0,0,5,1', 'sdoss_106_20140221T000045_sdo_feat.csv', 1, $1
           FROM observations ic, observations m WHERE ic.filename = 'hmi.Continuum.fits' AND m.filename = 'hmi.Magnetogram.fits'`,
        [load],
      );
    });

    const sunspots = await world.db.any(
      'SELECT code, version, telescop, filename, filename_m, snapshot, cc, rs, load_id FROM $1:name.view_sunspots_hqi',
      [hfc],
    );
    expect(sunspots).toEqual([
      {
        code: 'SDOSS',
        version: '1.06',
        telescop: 'Continuum',
        filename: 'hmi.Continuum.fits',
        filename_m: 'hmi.Magnetogram.fits',
        snapshot: 'ftp://archive.example.org/hfc/sdoss/ic.jpg',
        cc: '0123',
        rs: '0,0,5,1',
        load_id: load,
      },
    ]);

    const stats = await world.db.any(
      `SELECT unit, target_table, files_loaded::int, files_rejected::int, rows_inserted::int FROM $1:name.ingestion_stats ORDER BY unit, target_table`,
      [hfc],
    );
    expect(stats).toEqual([
      { unit: 'file', target_table: `${world.hfc}.sunspots`, files_loaded: 1, files_rejected: 1, rows_inserted: 5 },
      { unit: 'set', target_table: 'observations', files_loaded: 1, files_rejected: 0, rows_inserted: 2 },
      { unit: 'set', target_table: 'sunspots', files_loaded: 1, files_rejected: 0, rows_inserted: 1 },
      { unit: 'set', target_table: null, files_loaded: 0, files_rejected: 1, rows_inserted: 0 },
    ]);
    const rejectedFile = await world.db.one<{ path: string; error: string }>('SELECT path, error FROM $1:name.rejected_files', [hfc]);
    expect(rejectedFile.error).toBe(`${rejectedFile.path}:4:FEAT_X_ARCSEC: "12.3.4" is not a number`);
    expect(await world.db.any('SELECT set_key, status, error FROM $1:name.rejected_sets', [hfc])).toEqual([
      {
        set_key: 'sdoss_106_20140222T000045_sdo',
        status: 'rejected',
        error: 'sdoss_106_20140222T000045_sdo_feat.csv:3:FEAT_X_PIX: "1.2e3" is not an integer',
      },
    ]);
  });
});
