// The catalogue as analysts use it (issue 22), on the demo night run through the real
// stages: observing nights, quicklook URLs, night_problems, lineage(), a real read-only
// login role, and the README's recipes run as that role.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../../src/db/database.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { nocturne } from './cli.js';
import { LATE_OBSERVATION, loadDemoNight, NIGHT, PUBLIC_URL, SPOILED, type DemoNight } from './demo-night.js';
import { documentedLineageColumns, recipes } from './readme.js';

const BEFORE = '2026-11-20';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
/** The date in Paris (the pipelines' time zone) of the YYYYMMDDTHHMMSS stamp (UTC) in a name. */
const stampDate = (name: string) => {
  const [, y, m, d, hh, mi, ss] = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/.exec(name)!;
  return new Date(`${y}-${m}-${d}T${hh}:${mi}:${ss}Z`).toLocaleDateString('sv', { timeZone: 'Europe/Paris' });
};

let night: DemoNight;
let role: string;
let reader: Db;

beforeAll(async () => {
  night = await loadDemoNight('night');
  role = `${night.state}_reader`;
  await night.db.none('CREATE ROLE $1:name LOGIN', [role]);
  const granted = await nocturne(['db', 'grant-reader', role, '--config', night.configDir]);
  expect(granted.stderr).toBe('');
  expect(granted.stdout).toMatch(
    new RegExp(
      `^role ${role} reads catalogue ${night.hfc}: \\d+ tables and views, functions file_names_only, first_located_issue, lineage, nk, quicklook_url, source_paths_shown; nothing of schema ${night.state}\\n$`,
    ),
  );
  const url = new URL(night.test.url);
  url.username = role;
  reader = openDb({ url: url.toString(), schema: night.hfc, poolSize: 2, applicationName: 'nocturne-test-reader' });
}, 120_000);

afterAll(async () => {
  if (reader) await closeDb(reader);
  if (role) await night.db.none('DROP OWNED BY $1:name; DROP ROLE $1:name', [role]);
  await night?.close();
});

describe('observing nights', () => {
  it("every load knows the observing night of its set: the date in its names, in the run stage's time zone", async () => {
    const loads = await night.db.any<{ set_key: string; night: string }>(`SELECT set_key, night::text FROM $1:name.set_loads`, [night.hfc]);
    expect(loads.length).toBeGreaterThanOrEqual(19);
    for (const load of loads) expect(load).toEqual({ set_key: load.set_key, night: stampDate(load.set_key) });
    expect(loads).toContainEqual({ set_key: LATE_OBSERVATION.setKey, night: NIGHT });
    // So does every archived file whose name has a date.
    const files = await night.db.any<{ file_name: string; night: string | null }>(
      `SELECT file_name, night::text FROM $1:name.archived_files`,
      [night.hfc],
    );
    for (const file of files) expect(file.night).toBe(/\d{8}T\d{6}/.test(file.file_name) ? stampDate(file.file_name) : null);
  });

  it('ingestion_stats counts per observing night, with the load date beside it', async () => {
    const stats = await night.db.any<{ night: string; load_date: string; files_loaded: number; rows_inserted: number }>(
      `SELECT night::text, load_date::text, sum(files_loaded)::int AS files_loaded, sum(rows_inserted)::int AS rows_inserted
         FROM $1:name.ingestion_stats WHERE code = 'sdoss' AND target_table = 'observations' GROUP BY 1, 2 ORDER BY 1`,
      [night.hfc],
    );
    // Both nights were loaded by one run, on the (UTC) day it ran: the load date alone would
    // have counted them as one. That day, not a later Date's, for a test run across midnight.
    const { at } = await night.db.one<{ at: Date }>(
      `SELECT started_at AS at FROM $1:name.runs WHERE pipeline = 'sdoss' AND stage = 'ingest'`,
      [night.state],
    );
    const loaded = at.toISOString().slice(0, 10);
    expect(stats).toEqual([
      { night: BEFORE, load_date: loaded, files_loaded: 3, rows_inserted: 6 },
      { night: NIGHT, load_date: loaded, files_loaded: 4, rows_inserted: 8 },
    ]);
  });
});

describe('quicklook URLs', () => {
  it("the HQI views carry where nocturne archived and verified each quicklook, under the target's publicUrl", async () => {
    for (const view of ['view_sunspots_hqi', 'view_ar_hqi', 'view_type_iii_hqi']) {
      const rows = await night.db.any<{ qclk_fname: string; quicklook_url: string | null; snapshot: string | null }>(
        'SELECT qclk_fname, quicklook_url, snapshot FROM $1:name.$2:name',
        [night.hfc, view],
      );
      expect(rows.length, view).toBeGreaterThan(0);
      for (const row of rows) {
        const name = path.posix.basename(row.qclk_fname);
        if (name.includes(SPOILED.truncatedQuicklook)) {
          // Set aside as damaged: never archived, so no URL; snapshot keeps what the code wrote.
          expect(row).toMatchObject({ quicklook_url: null, snapshot: row.qclk_fname });
          continue;
        }
        expect(row.quicklook_url).toMatch(new RegExp(`^${PUBLIC_URL}/hfc/[a-z0-9-]+/2026/11/${name.replaceAll('.', '\\.')}$`));
        expect(row.snapshot).toBe(row.quicklook_url);
        // The URL names the file as it lies on the archive.
        const onArchive = path.join(night.archive, row.quicklook_url!.slice(PUBLIC_URL.length));
        await expect(readFile(onArchive)).resolves.toBeInstanceOf(Buffer);
      }
    }
  });

  it('without a publicUrl, quicklook_url is the archive location "<target>:<remote path>"', async () => {
    const { id } = await night.db.one<{ id: string }>(
      `UPDATE transfers SET public_url = NULL
        WHERE id = (SELECT min(id) FROM transfers WHERE pipeline = 'rabat3' AND remote_path LIKE '%.jpg' AND state = 'deleted')
        RETURNING id`,
    );
    try {
      const row = await night.db.one<{ quicklook_url: string; snapshot: string }>(
        `SELECT DISTINCT v.quicklook_url, v.snapshot FROM $1:name.view_type_iii_hqi v, transfers t
          WHERE t.id = $2 AND v.qclk_fname = regexp_replace(t.remote_path, '^.*/', '')`,
        [night.hfc, id],
      );
      expect(row.quicklook_url).toMatch(/^archive:\/hfc\/rabat3\/2026\/11\/rabat3_203_win_\d{8}T\d{6}\.jpg$/);
      expect(row.snapshot).toBe(row.quicklook_url);
    } finally {
      await night.db.none(`UPDATE transfers SET public_url = $2 || remote_path WHERE id = $1`, [id, PUBLIC_URL]);
    }
  });
});

describe('night_problems', () => {
  it('lists what went wrong in every stage, with its location, reason and the name to retry it by', async () => {
    const problems = await night.db.any(
      `SELECT night::text, pipeline, stage, problem, retry_name, location, reason, exit_code FROM $1:name.night_problems ORDER BY stage DESC`,
      [night.hfc],
    );
    expect(problems).toEqual([
      {
        night: NIGHT,
        pipeline: 'sdoss',
        stage: 'upload',
        problem: 'quarantined quicklook',
        retry_name: `sdoss_106_${SPOILED.truncatedQuicklook}.jpg`,
        location: null,
        reason: expect.stringMatching(/^quicklook cannot be decoded: the JPEG breaks off before its image data \(libvips: /),
        exit_code: null,
      },
      {
        night: NIGHT,
        pipeline: 'sdoss',
        stage: 'run',
        problem: 'failed observation',
        retry_name: SPOILED.failedObservation,
        location: null,
        reason: expect.stringMatching(
          new RegExp(`^sdoss: observation ${SPOILED.failedObservation} \\(job noc-sdoss-\\w+, attempt 1\\).* exited with status 3`),
        ),
        exit_code: 3,
      },
      {
        night: NIGHT,
        pipeline: 'spoca-ar',
        stage: 'ingest',
        problem: 'rejected set',
        retry_name: `spoca-ar_301_${SPOILED.spoiledFeat}`,
        location: `/hfc/spoca-ar/2026/11/spoca-ar_301_${SPOILED.spoiledFeat}_feat.csv:3:FEAT_X_PIX`,
        reason: '"12.3.4" is not a number ["12.3.4"]',
        exit_code: null,
      },
    ]);
  });
});

describe('lineage', () => {
  it('goes from a load to its files, their verified transfer, and the task and job that wrote them', async () => {
    const load = await night.db.one<{ load_id: string; set_key: string; members: { role: string; path: string; sha256: string }[] }>(
      `SELECT load_id, set_key, members FROM $1:name.set_loads WHERE set_key = 'sdoss_106_20261121T080045_hmi-080045'`,
      [night.hfc],
    );
    const rows = await night.db.any<{
      role: string;
      sha256: string;
      night: Date;
      verified_at: Date;
      loaded_at: Date;
      task_started_at: Date;
      task_finished_at: Date;
      elapsed_seconds: number;
      slurm_job: string;
      scheduler_id: string;
      job_id: string;
      load_run_id: string;
      transfer_run_id: string;
      job_run_id: string;
    }>(`SELECT * FROM $1:name.lineage($2::bigint)`, [night.hfc, load.load_id]);
    expect(rows.map((r) => r.role)).toEqual(load.members.map((m) => m.role));
    for (const [i, row] of rows.entries()) {
      const member = load.members[i]!;
      expect(row).toMatchObject({
        load_id: load.load_id,
        load_status: 'loaded',
        pipeline: 'sdoss',
        code: 'sdoss',
        code_version: '1.06',
        set_key: load.set_key,
        kind: 'set',
        source: 'archive:/hfc/sdoss',
        file_name: path.posix.basename(member.path),
        file_path: member.path,
        sha256: await sha256(path.join(night.archive, member.path)),
        target: 'archive',
        remote_path: member.path,
        transfer_state: 'deleted',
        verify_method: 'size',
        archive_url: `${PUBLIC_URL}${member.path}`,
        executor: 'local',
        task_index: 0,
        node: os.hostname(),
        attempt: 1,
        task_state: 'completed',
        exit_code: 0,
        observation: 'hmi_080045',
        observation_night: new Date(`${NIGHT}T00:00:00`),
        job_code_version: '1.06',
      });
      expect(row.sha256).toBe(member.sha256);
      expect(row.night).toEqual(new Date(`${NIGHT}T00:00:00`));
      expect(row.verified_at.getTime()).toBeLessThanOrEqual(row.loaded_at.getTime());
      expect(row.task_finished_at.getTime()).toBeLessThanOrEqual(row.verified_at.getTime());
      expect(row.elapsed_seconds).toBeCloseTo((row.task_finished_at.getTime() - row.task_started_at.getTime()) / 1000, 2);
      expect(row.slurm_job).toBe(row.scheduler_id);
    }
    // One job and task wrote both files of the set, and the stage runs are the ones recorded.
    expect(new Set(rows.map((r) => r.job_id)).size).toBe(1);
    const runs = await night.db.one(
      `SELECT (SELECT stage FROM runs WHERE id = $1) AS load, (SELECT stage FROM runs WHERE id = $2) AS transfer, (SELECT stage FROM runs WHERE id = $3) AS job`,
      [rows[0]!.load_run_id, rows[0]!.transfer_run_id, rows[0]!.job_run_id],
    );
    expect(runs).toEqual({ load: 'ingest', transfer: 'upload', job: 'run' });

    // The same chain from the set key, or from the archive path of one of its files.
    expect(await night.db.any(`SELECT * FROM $1:name.lineage($2::text)`, [night.hfc, load.set_key])).toEqual(rows);
    expect(await night.db.any(`SELECT * FROM $1:name.lineage($2::text)`, [night.hfc, load.members[0]!.path])).toEqual(rows);
    expect(await night.db.any(`SELECT * FROM $1:name.lineage('no_such_set')`, [night.hfc])).toEqual([]);
  });

  it('has the columns sql/catalogue/README.md documents, in that order', async () => {
    const columns = await night.db.map(
      `SELECT a.attname FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [`"${night.hfc}".lineage_row`],
      (r: { attname: string }) => r.attname,
    );
    expect(columns).toEqual(await documentedLineageColumns());
  });

  it('gets the columns appended since a catalogue was installed when it is installed again', async () => {
    // lineage_row as an install before job_code_version left it.
    await night.db.none('ALTER TYPE $1:name.lineage_row DROP ATTRIBUTE job_code_version', [night.hfc]);
    await installCatalogue(night.db, { schema: night.hfc, stateSchema: night.state });
    const rows = await night.db.any('SELECT job_code_version FROM $1:name.lineage((SELECT min(load_id) FROM $1:name.set_loads))', [
      night.hfc,
    ]);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toEqual({ job_code_version: expect.stringMatching(/^\d/) });
  });
});

describe('a read-only role (nocturne db grant-reader)', () => {
  const denied = (sql: string, values?: unknown[]) =>
    reader.none(sql, values).then(
      () => 'allowed',
      (err: Error) => err.message,
    );

  it('reads every table and view of the catalogue, and calls lineage()', async () => {
    const relations = await night.db.map(
      `SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'v') ORDER BY 1`,
      [night.hfc],
      (r: { relname: string }) => r.relname,
    );
    expect(relations).toEqual(expect.arrayContaining(['sunspots', 'night_problems', 'archived_files', 'set_loads', 'view_sunspots_hqi']));
    for (const relation of relations) {
      const owner = await night.db.one<{ n: number }>('SELECT count(*)::int AS n FROM $1:name.$2:name', [night.hfc, relation]);
      expect(await reader.one<{ n: number }>('SELECT count(*)::int AS n FROM $1:name.$2:name', [night.hfc, relation]), relation).toEqual(
        owner,
      );
    }
    const quicklooks = await reader.one<{ n: number }>('SELECT count(quicklook_url)::int AS n FROM $1:name.view_sunspots_hqi', [night.hfc]);
    expect(quicklooks.n).toBeGreaterThan(0);
    expect((await reader.any('SELECT * FROM $1:name.lineage(1)', [night.hfc])).length).toBeGreaterThan(0);
  });

  it('reads nothing of the state schema, and writes nothing', async () => {
    for (const table of [
      'transfers',
      'ingested_sets',
      'jobs',
      'job_tasks',
      'runs',
      'observations',
      'run_observations',
      'schema_migrations',
    ]) {
      expect(await denied('SELECT 1 FROM $1:name.$2:name LIMIT 1', [night.state, table]), table).toMatch(/permission denied for schema/);
    }
    const writes = [
      `INSERT INTO $1:name.frc_info (code, version) VALUES ('X', '1')`,
      `UPDATE $1:name.sunspots SET feat_area_deg2 = 0`,
      `DELETE FROM $1:name.observations`,
      `TRUNCATE $1:name.type_iii`,
      // Simple views are updatable: not by a reader.
      `UPDATE $1:name.set_loads SET status = 'rejected'`,
      `DELETE FROM $1:name.rejected_sets`,
      `CREATE TABLE $1:name.mine (x int)`,
      `CREATE OR REPLACE VIEW $1:name.night_problems AS SELECT 1 AS x`,
      `CALL $1:name.grant_reader(current_user::regrole)`,
    ];
    for (const sql of writes) expect(await denied(sql, [night.hfc]), sql).toMatch(/permission denied|must be owner/);
    // What the views show of the state holds no local path (logs, work or outbox directories, inputs).
    const local = path.dirname(night.configDir);
    const shown = await reader.any<{ text: string }>(
      `SELECT p::text AS text FROM $1:name.night_problems p
       UNION ALL SELECT l::text FROM $1:name.set_loads s, $1:name.lineage(s.load_id) l
       UNION ALL SELECT a::text FROM $1:name.archived_files a
       UNION ALL SELECT s::text FROM $1:name.set_loads s`,
      [night.hfc],
    );
    expect(shown.length).toBeGreaterThan(50);
    expect(shown.filter((r) => r.text.includes(local))).toEqual([]);
    const message = 'log /var/lib/nocturne/logs/a.log; its files stay in /w/run/task-0; "/q/x.jpg" at https://h.org/a/x.jpg';
    expect(await reader.one('SELECT $1:name.file_names_only($2) AS m', [night.hfc, message])).toEqual({
      m: 'log a.log; its files stay in task-0; "x.jpg" at https://h.org/a/x.jpg',
    });
  });

  it('refuses a role that could read more than a reader, and gives readers what a new install adds', async () => {
    expect(await nocturne(['db', 'grant-reader', 'postgres', '--config', night.configDir])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('role "postgres" is a superuser'),
    });
    const snoop = `${night.state}_snoop`;
    await night.db.none('CREATE ROLE $1:name LOGIN; GRANT USAGE ON SCHEMA $2:name TO $1:name', [snoop, night.state]);
    try {
      expect(await nocturne(['db', 'grant-reader', snoop, '--config', night.configDir])).toMatchObject({
        code: 64,
        stderr: expect.stringContaining(`REVOKE USAGE ON SCHEMA "${night.state}" FROM "${snoop}"`),
      });
    } finally {
      await night.db.none('DROP OWNED BY $1:name; DROP ROLE $1:name', [snoop]);
    }
    expect(await nocturne(['db', 'grant-reader', `${night.state}_nobody`, '--config', night.configDir])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining('does not exist: create it first'),
    });
    // A view the install creates anew (here: dropped before it) is the readers' too.
    await night.db.none('DROP VIEW $1:name.night_problems', [night.hfc]);
    await installCatalogue(night.db, { schema: night.hfc, stateSchema: night.state });
    expect(await reader.any('SELECT stage FROM $1:name.night_problems', [night.hfc])).toHaveLength(3);
  });
});

describe("the README's recipes, run as the reader on the demo night", () => {
  const run = async <Row>(name: string) => {
    const sql = (await recipes(night.hfc)).get(name);
    expect(sql, `recipe ${name} in sql/catalogue/README.md`).toBeDefined();
    return reader.any<Row>(sql!);
  };

  it('are the four the issue asks for', async () => {
    expect([...(await recipes(night.hfc)).keys()]).toEqual([
      'last-night-sunspots',
      'region-over-days',
      'what-failed-last-night',
      'where-a-row-comes-from',
    ]);
  });

  it("last night's sunspots, biggest first, with their quicklooks", async () => {
    const rows = await run<{ area_deg2: string; quicklook_url: string | null; night: Date; date_obs: Date }>('last-night-sunspots');
    const expected = await night.db.any<{ area: number; quicklook: string | null }>(
      `SELECT s.feat_area_deg2 AS area, v.quicklook_url AS quicklook FROM $1:name.sunspots s JOIN $1:name.view_sunspots_hqi v USING (id_sunspot)
        WHERE s.load_id IN (SELECT load_id FROM $1:name.set_loads WHERE night = $2 AND status = 'loaded') ORDER BY 1 DESC`,
      [night.hfc, NIGHT],
    );
    expect(rows.length).toBe(expected.length);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => Number(r.area_deg2))).toEqual(expected.map((e) => Number(e.area.toFixed(2))));
    expect(rows.map((r) => r.quicklook_url)).toEqual(expected.map((e) => e.quicklook));
    for (const row of rows) expect(row.night).toEqual(new Date(`${NIGHT}T00:00:00`));
    // The damaged quicklook's sunspots have none; the others are on the archive.
    expect(rows.filter((r) => r.quicklook_url === null).length).toBe(
      rows.filter((r) => r.date_obs.toISOString().startsWith('2026-11-21T04:00:45')).length,
    );
  });

  it('a region tracked over days', async () => {
    const rows = await run<{ track_id: number; night: Date; carr_long: string; long: string }>('region-over-days');
    // The demo's long-lived region (examples/detect/hfc-shapes.mjs): one Carrington position, carried west by the rotation.
    expect(new Set(rows.map((r) => r.track_id))).toEqual(new Set([9001]));
    // Seen on both nights (dates come back as local midnights).
    expect(new Set(rows.map((r) => r.night.getTime()))).toEqual(new Set([BEFORE, NIGHT].map((d) => new Date(`${d}T00:00:00`).getTime())));
    expect(new Set(rows.map((r) => Number(r.carr_long)))).toEqual(new Set([250]));
    const longitudes = rows.map((r) => Number(r.long));
    expect(longitudes).toEqual([...longitudes].sort((a, b) => a - b));
    expect(rows.length).toBeGreaterThanOrEqual(4);
  });

  it('what failed last night', async () => {
    const rows = await run<{
      pipeline: string;
      stage: string;
      problem: string;
      retry_name: string;
      exit_code: number | null;
      location: string | null;
    }>('what-failed-last-night');
    expect(rows.map((r) => [r.pipeline, r.stage, r.problem, r.retry_name])).toEqual([
      ['sdoss', 'run', 'failed observation', SPOILED.failedObservation],
      ['sdoss', 'upload', 'quarantined quicklook', `sdoss_106_${SPOILED.truncatedQuicklook}.jpg`],
      ['spoca-ar', 'ingest', 'rejected set', `spoca-ar_301_${SPOILED.spoiledFeat}`],
    ]);
    expect(rows[0]!.exit_code).toBe(3);
    expect(rows[2]!.location).toMatch(/_feat\.csv:3:FEAT_X_PIX$/);
  });

  it('where a row comes from', async () => {
    const rows = await run<{ role: string; file_name: string; sha256: string; archive_url: string; exit_code: number }>(
      'where-a-row-comes-from',
    );
    const biggest = await night.db.one<{ set_key: string; members: { role: string; path: string; sha256: string }[] }>(
      `SELECT l.set_key, l.members FROM $1:name.sunspots s JOIN $1:name.set_loads l USING (load_id)
        WHERE l.night = $2 ORDER BY s.feat_area_deg2 DESC LIMIT 1`,
      [night.hfc, NIGHT],
    );
    const members = [...biggest.members].sort((a, b) => a.role.localeCompare(b.role));
    expect(rows.map((r) => [r.role, r.file_name, r.sha256, r.archive_url, r.exit_code])).toEqual(
      members.map((m) => [m.role, path.posix.basename(m.path), m.sha256.slice(0, 12), `${PUBLIC_URL}${m.path}`, 0]),
    );
    const observation = biggest.set_key.replace(/^.*_(hmi)-(\d+)$/, '$1_$2');
    for (const row of rows) {
      expect(row).toMatchObject({ verify_method: 'size', slurm_job: 'local', node: os.hostname(), job_code_version: '1.06', observation });
    }
  });
});
