// Upgrading a deployment from before issue 22: a state schema before migration 0014 with
// loads, transfers and files on record, a catalogue installed by that nocturne (HQI
// views without quicklook_url, ingestion_stats without load_date). `nocturne db migrate`
// then the catalogue install bring it up: the rows on record get their observing night
// and their quicklook's archive location, and installing again changes nothing.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../../src/db/database.js';
import { migrate, STATE_MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { CATALOGUE_SQL_DIR, installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { rig } from '../../../harness/rig.js';
import { nocturne } from '../analysts/cli.js';
import { writeDemoConfig } from '../analysts/demo-night.js';

const schema = `t_upgrade22_${process.pid}`;
const hfc = `${schema}_hfc`;
let db: Db;
let dir: string;

/** Everything an install decides: relations (the same objects: their oids) and their columns, view and routine bodies, settings, privileges. */
async function shape(): Promise<unknown[]> {
  return db.any(
    `SELECT c.relname AS name, c.oid::int AS oid, c.relkind::text AS kind, c.relacl::text AS acl, c.reloptions::text AS options,
            CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS body,
            (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || coalesce(col_description(c.oid, a.attnum), ''), ', ' ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM pg_class c WHERE c.relnamespace = $1::regnamespace
     UNION ALL
     SELECT p.oid::regprocedure::text, p.oid::int, p.prokind::text, p.proacl::text, p.proconfig::text, p.prosrc, obj_description(p.oid, 'pg_proc')
       FROM pg_proc p WHERE p.pronamespace = $1::regnamespace
     ORDER BY 1`,
    [hfc],
  );
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-upgrade22-'));
  db = openDb({ url: rig().pgUrl, schema, poolSize: 2, applicationName: 'nocturne-test-upgrade22' });
  // The state schema as the nocturne before issue 22 left it: every migration before 0014.
  const before = path.join(dir, 'state-before');
  await mkdir(before);
  for (const file of (await readdir(STATE_MIGRATIONS_DIR)).filter((f) => f < '0014')) {
    await cp(path.join(STATE_MIGRATIONS_DIR, file), path.join(before, file));
  }
  expect((await migrate(db, schema, before)).current).toBeLessThan(14);
  // Its catalogue: the tables, and the views in their earlier shape.
  await db.tx(async (tx) => {
    await tx.none('CREATE SCHEMA $1:name; SET LOCAL search_path TO $1:name, $2:name', [hfc, schema]);
    await tx.none(await readFile(path.join(CATALOGUE_SQL_DIR, '01_tables.sql'), 'utf8'));
    await tx.none(`CREATE VIEW view_sunspots_hqi AS SELECT ob.qclk_fname AS snapshot, f.* FROM sunspots f JOIN observations ob ON ob.id_observations = f.observations_id_ic;
                   CREATE VIEW ingestion_stats AS SELECT (finished_at AT TIME ZONE 'UTC')::date AS night, code FROM ingested_sets`);
    // What that nocturne recorded: a loaded set (23:30 UTC: the next day in Paris), its quicklook's
    // upload, a quicklook it set aside, and a single CSV file it rejected.
    const { id } = await tx.one<{ id: string }>(
      `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, rows, host, finished_at)
       VALUES ('archive:/hfc/sdoss', 'sdoss', 'sdoss', '1.06', 'sdoss_106_20261120T233045_hmi-233045', 'set', repeat('a', 64), '[]', 'loaded',
               '{"observations": 1, "sunspots": 1}', 'h', '2026-11-28T10:00:00Z') RETURNING id`,
    );
    await tx.none(
      `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, verify_method)
       VALUES ('sdoss', 'archive', 'output', '/var/outbox/sdoss/sdoss_106_20261120T233045_hmi-233045.jpg', 10, 0,
               '/hfc/sdoss/2026/11/sdoss_106_20261120T233045_hmi-233045.jpg', 'deleted', 'size');
       INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, quarantine_path, error)
       VALUES ('sdoss', 'archive', 'output', '/var/outbox/sdoss/sdoss_106_20261121T000045_hmi-000045.jpg', 10, 0,
               '/hfc/sdoss/2026/11/sdoss_106_20261121T000045_hmi-000045.jpg', 'quarantined', '/var/quarantine/x.jpg', 'quicklook cannot be decoded');
       INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, error, host, finished_at)
       VALUES ('local:/in', '/in/sdoss_106_20261121T040045_sdo_feat.csv', repeat('b', 64), 1, 'sdoss', 'sdoss', '1.06', 'x', 'rejected',
               '/in/sdoss_106_20261121T040045_sdo_feat.csv:4:FEAT_X_PIX: not a number', 'h', now())`,
    );
    await tx.none(
      `INSERT INTO frc_info (institut, code, version, feature_name) VALUES ('MSSL', 'SDOSS', '1.06', 'SUNSPOTS');
       INSERT INTO observatory (observat, instrume, telescop, wavemin, wavemax) VALUES ('SDO', 'HMI', 'Continuum', 617.3, 617.3);
       INSERT INTO observations (observatory_id, date_obs, date_end, filename, loc_filename, qclk_fname, load_id)
         SELECT id_observatory, '2026-11-20T23:30:45Z', '2026-11-20T23:30:45Z', 'hmi.fits', '/data/hmi.fits', 'sdoss_106_20261120T233045_hmi-233045.jpg', $1
           FROM observatory;
       INSERT INTO sunspots (frc_info_id, observations_id_ic, feat_filename, row_ordinal, load_id)
         SELECT id_frc_info, id_observations, 'sdoss_106_20261120T233045_hmi-233045_feat.csv', 1, $1 FROM frc_info, observations`,
      [id],
    );
  });
  // The configuration at hand when nocturne is upgraded: the repository's pipelines (run.timezone Europe/Paris).
  await writeDemoConfig(path.join(dir, 'etc'), {
    state: path.join(dir, 'var'),
    archive: path.join(dir, 'archive'),
    observations: path.join(dir, 'observations'),
    hfc,
    test: { url: rig().pgUrl, schema },
    publicUrl: null,
  });
}, 60_000);

afterAll(async () => {
  await db?.none('DROP SCHEMA IF EXISTS $1:name CASCADE; DROP SCHEMA IF EXISTS $2:name CASCADE', [hfc, schema]);
  if (db) await closeDb(db);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('upgrading a catalogue and its ledgers from before observing nights and quicklook URLs', () => {
  it('nocturne db migrate applies 0014 and gives the rows on record their observing night, from the configuration', async () => {
    const migrated = await nocturne(['db', 'migrate', '--config', path.join(dir, 'etc')]);
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toMatch(
      new RegExp(
        `^schema ${schema}: applied (\\S+, )*0014_observing_nights\\.sql(, \\S+)* \\(version \\d+\\)\\nobserving night filled in for 4 ledger rows recorded before it was kept\\n$`,
      ),
    );
    const nights = await db.any<{ name: string; night: string }>(
      `SELECT set_key AS name, night::text FROM ingested_sets
       UNION ALL SELECT regexp_replace(local_path, '^.*/', ''), night::text FROM transfers
       UNION ALL SELECT regexp_replace(path, '^.*/', ''), night::text FROM ingested_files ORDER BY 1`,
    );
    expect(nights).toEqual([
      { name: 'sdoss_106_20261120T233045_hmi-233045', night: '2026-11-21' },
      { name: 'sdoss_106_20261120T233045_hmi-233045.jpg', night: '2026-11-21' },
      { name: 'sdoss_106_20261121T000045_hmi-000045.jpg', night: '2026-11-21' },
      { name: 'sdoss_106_20261121T040045_sdo_feat.csv', night: '2026-11-21' },
    ]);
    // Once filled, nothing is left to fill.
    expect((await nocturne(['db', 'migrate', '--config', path.join(dir, 'etc')])).stdout).toMatch(
      new RegExp(`^schema ${schema}: already up to date \\(version \\d+\\)\\n$`),
    );
  });

  it("the catalogue install upgrades the views: earlier rows get their quicklook's archive location", async () => {
    await installCatalogue(db, { schema: hfc, stateSchema: schema });
    const row = await db.one('SELECT night::text, snapshot, quicklook_url FROM $1:name.view_sunspots_hqi', [hfc]);
    expect(row).toEqual({
      night: '2026-11-21',
      snapshot: 'archive:/hfc/sdoss/2026/11/sdoss_106_20261120T233045_hmi-233045.jpg',
      quicklook_url: 'archive:/hfc/sdoss/2026/11/sdoss_106_20261120T233045_hmi-233045.jpg',
    });
    expect(await db.any('SELECT night::text, load_date::text, code FROM $1:name.ingestion_stats WHERE unit = $2', [hfc, 'set'])).toEqual([
      { night: '2026-11-21', load_date: '2026-11-28', code: 'sdoss' },
      { night: '2026-11-21', load_date: '2026-11-28', code: 'sdoss' },
    ]);
    expect(await db.any('SELECT problem, retry_name, location FROM $1:name.night_problems ORDER BY 1', [hfc])).toEqual([
      { problem: 'quarantined quicklook', retry_name: 'sdoss_106_20261121T000045_hmi-000045.jpg', location: null },
      { problem: 'rejected file', retry_name: 'sdoss_106_20261121T040045_sdo_feat.csv', location: null },
    ]);
  });

  it('installing again changes nothing, by TypeScript or by psql', async () => {
    const before = await shape();
    await installCatalogue(db, { schema: hfc, stateSchema: schema });
    expect(await shape()).toEqual(before);
    await promisify(execFile)('psql', [
      rig().pgUrl,
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-v',
      `catalogue=${hfc}`,
      '-v',
      `state=${schema}`,
      '-f',
      path.join(CATALOGUE_SQL_DIR, 'install.psql'),
    ]);
    expect(await shape()).toEqual(before);
  });

  it("a view of the analysts' own on an HQI view stops the upgrade that must re-create it, naming it; nothing is lost", async () => {
    await db.none(
      `DROP VIEW $1:name.view_sunspots_hqi; CREATE VIEW $1:name.view_sunspots_hqi AS SELECT f.* FROM $1:name.sunspots f;
                   CREATE VIEW $1:name.my_spots AS SELECT id_sunspot FROM $1:name.view_sunspots_hqi`,
      [hfc],
    );
    await expect(installCatalogue(db, { schema: hfc, stateSchema: schema })).rejects.toMatchObject({
      message: expect.stringMatching(/^cannot drop view .*view_sunspots_hqi because other objects depend on it$/),
      detail: expect.stringMatching(/view .*my_spots depends on view .*view_sunspots_hqi/),
    });
    expect(await db.any('SELECT id_sunspot FROM $1:name.my_spots', [hfc])).toHaveLength(1);
  });
});
