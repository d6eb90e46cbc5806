// nocturne prune against the real PostgreSQL: what goes, what stays (the provenance of
// every loaded row: lineage() answers the same after the prune), dry runs, batches, files.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NocturneConfig } from '../../../src/config/types.js';
import { prune, type PruneReport } from '../../../src/housekeeping/prune.js';
import { totalRows } from '../../../src/housekeeping/report.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { seedHistory } from '../../../harness/history-seed.js';
import { testConfig } from '../../unit/scheduling/test-config.js';

const DAY = 86_400_000;
let t: TestDb;
let catalogue: string;
let state: string;
let config: NocturneConfig;

/** Every table prune may touch, row by row: what a dry run must leave exactly as it was. */
async function snapshot(): Promise<Record<string, number>> {
  const tables = [
    'runs',
    'jobs',
    'job_tasks',
    'transfers',
    'transfer_events',
    'ingested_files',
    'ingested_sets',
    'observations',
    'operator_actions',
    'retried_items',
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = (await t.db.one<{ n: number }>('SELECT count(*)::int AS n FROM $1:name', [table])).n;
  return counts;
}

async function allLineage(): Promise<unknown[]> {
  const loads = await t.db.map<number>(`SELECT id FROM ingested_sets WHERE status = 'loaded' ORDER BY id`, [], (r: { id: string }) =>
    Number(r.id),
  );
  return Promise.all(loads.map((id) => t.db.any('SELECT * FROM $1:name.lineage($2::bigint)', [catalogue, id])));
}

const run = (dryRun: boolean, clockMs = Date.now(), onBatch?: (n: number) => void): Promise<PruneReport> =>
  prune({ db: t.db, config, clock: { now: () => new Date(clockMs) }, ...(onBatch ? { onBatch } : {}) }, { dryRun });

async function touch(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'x'.repeat(100));
}

beforeAll(async () => {
  t = await createTestDb('prune');
  catalogue = `${t.schema}_hfc`;
  await installCatalogue(t.db, { schema: catalogue, stateSchema: t.schema });
  state = await mkdtemp(path.join(tmpdir(), 'nocturne-prune-'));
  config = testConfig(
    { sdoss: { run: { schedule: '0 2 * * *' }, upload: { schedule: '0 6 * * *' }, ingest: { schedule: '0 8 * * *' } } },
    {
      paths: { state },
      targets: { archive: { type: 'local', path: path.join(state, 'archive') } },
      retention: { batchSize: 50 },
    },
  );
  // Two years of nights ending 100 days ago, then 10 recent nights: 3 observations a
  // night, one in seven loaded into the catalogue.
  await seedHistory(t.db, { pipeline: 'sdoss', nights: 630, endDaysAgo: 100, perNight: 3, loadedEvery: 7 });
  await seedHistory(t.db, { pipeline: 'spoca', nights: 10, perNight: 3, loadedEvery: 1 });
  // A quarantined file still in quarantine, one long gone, and a rejected local CSV gone too.
  const kept = path.join(state, 'quarantine', 'sdoss', 'kept.jpg');
  await touch(kept);
  await t.db.none(
    `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, quarantine_path, updated_at)
    VALUES ('sdoss', 'archive', 'output', '/o/kept.jpg', 1, 0, '/hfc/kept.jpg', 'quarantined', $1, now() - interval '1 year'),
           ('sdoss', 'archive', 'output', '/o/gone.jpg', 1, 0, '/hfc/gone.jpg', 'quarantined', $2, now() - interval '1 year')`,
    [kept, path.join(state, 'quarantine', 'sdoss', 'gone.jpg')],
  );
  await t.db
    .none(`INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, host, finished_at)
    VALUES ('local:/data/csv', '/data/csv/gone.csv', repeat('a', 64), 1, 'sdoss', 'sdoss', '1', 'hfc.features', 'rejected', 'h', now() - interval '1 year')`);
  // Operators' records: a retry of two items and a lifted pause, both long ago; a pause
  // asked long ago and still in effect; a recent retry.
  await t.db.none(`INSERT INTO pauses (pipeline, stage, reason, paused_by, paused_at)
    VALUES ('sdoss', 'upload', 'archive moved', 'ops@hal', now() - interval '2 years')`);
  await t.db.none(`INSERT INTO operator_actions (action, pipeline, stage, asked_by, asked_at) VALUES
    ('retry', 'sdoss', 'ingest', 'ops@hal', now() - interval '2 years'),
    ('pause', 'sdoss', 'run', 'ops@hal', now() - interval '3 years'),
    ('resume', 'sdoss', 'run', 'ops@hal', now() - interval '3 years'),
    ('pause', 'sdoss', '', 'ops@hal', now() - interval '2 years'),
    ('retry', 'sdoss', 'upload', 'ops@hal', now() - interval '1 day')`);
  await t.db.none(`INSERT INTO retried_items (action_id, pipeline, stage, kind, item, previous)
    SELECT a.id, 'sdoss', a.stage, 'file', '/data/csv/' || n || '.csv', '{}' FROM operator_actions a, generate_series(1, 2) AS n
     WHERE a.action = 'retry'`);
}, 120_000);

afterAll(async () => {
  await t?.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [catalogue]);
  await t?.drop();
  if (state) await rm(state, { recursive: true, force: true });
});

describe('nocturne prune', () => {
  let dry: PruneReport;
  let before: Record<string, number>;
  let lineageBefore: unknown[];

  it('nocturne prune --dry-run prints the counts per kind and removes nothing', async () => {
    const dir = path.join(state, 'cli');
    await mkdir(path.join(dir, 'pipelines'), { recursive: true });
    await mkdir(path.join(dir, 'config'), { recursive: true });
    await writeFile(
      path.join(dir, 'config', 'nocturne.yaml'),
      `database: {url: "${t.url}", schema: ${t.schema}}\npaths: {state: ${state}}\n`,
    );
    const counts = await snapshot();
    const bin = path.resolve(import.meta.dirname, '../../../bin/nocturne.js');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'prune', '--dry-run', '--config', dir]);
    expect(await snapshot()).toEqual(counts);
    expect(stdout).toMatch(/^would remove \(dry run: nothing removed\):\n/);
    expect(stdout).toMatch(/^ {2}transferEvents +\d+ row\(s\) \(transfer_events \d+\) {2}— events of closed transfers older than 90d$/m);
    expect(stdout).toMatch(/^ {2}quarantine +0 file\(s\), 0 B {2}— quarantined files older than 90d$/m);
    expect(stdout).toMatch(
      /^ {2}operatorActions +5 row\(s\) \(operator_actions 3, retried_items 2\) {2}— records of pauses, resumes and retries older than 400d$/m,
    );
    expect(stdout).toMatch(/^total: [1-9]\d* row\(s\), 0 file\(s\), 0 B$/m);
  }, 60_000);

  it('in a dry run, counts what would go per kind and removes nothing', async () => {
    before = await snapshot();
    lineageBefore = await allLineage();
    dry = await run(true);
    expect(await snapshot()).toEqual(before);
    expect(totalRows(dry)).toBeGreaterThan(0);
    // One quicklook in ten missing (6 events each), the quarantined file gone, the rejected CSV gone.
    const { missing } = await t.db.one<{ missing: number }>(
      `SELECT count(*)::int AS missing FROM transfers WHERE state = 'missing' AND updated_at < now() - interval '180 days'`,
    );
    expect(missing).toBeGreaterThan(100);
    expect(dry.kinds.goneFiles.rows).toEqual({
      transfers: missing + 1,
      transfer_events: missing * 6,
      ingested_files: 1,
      quarantine_rows: 0,
    });
  });

  it('removes in batches exactly what the dry run counted, and lineage() answers the same for every loaded row', async () => {
    const batches: number[] = [];
    const done = await run(false, Date.now(), (n) => batches.push(n));
    expect(done.kinds).toEqual(dry.kinds);
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
    expect(batches.length).toBeGreaterThan(20);
    expect(await allLineage()).toEqual(lineageBefore);
    const after = await snapshot();
    expect(before['runs']! - after['runs']!).toBe(done.kinds.runs.rows['runs']);
    expect(after['ingested_sets']).toBe(before['ingested_sets']);
    expect(done.kinds.operatorActions.rows).toEqual({ operator_actions: 3, retried_items: 2 });
    expect(after['observations']).toBe(before['observations']);
  });

  it('keeps the provenance, the recent history and the latest run of each stage', async () => {
    // Every job left has a task that published a member of a load, or is recent.
    const unprotected = await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM jobs j
      WHERE j.finished_at < now() - interval '400 days'
        AND NOT EXISTS (SELECT 1 FROM job_tasks k JOIN ingested_sets s ON s.status = 'loaded'
                         AND s.members @> jsonb_build_array(jsonb_build_object('path', '/hfc/' || k.obs || '_init.csv')) WHERE k.job = j.id)`);
    expect(unprotected.n).toBe(0);
    const recent = await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE pipeline = 'spoca'`);
    expect(recent.n).toBe(30);
    const latest = await t.db.any<{ stage: string }>(`SELECT DISTINCT stage FROM runs WHERE pipeline = 'sdoss'`);
    expect(latest.map((r) => r.stage).sort()).toEqual(['ingest', 'run', 'upload']);
    // Archived transfers stay with their verification; the quarantined file still there keeps its row.
    const archived = await t.db.one<{ n: number; verified: number }>(`SELECT count(*)::int AS n,
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM transfer_events e WHERE e.transfer_id = t.id AND e.to_state = 'verified'))::int AS verified
      FROM transfers t WHERE state = 'deleted'`);
    expect(archived.verified).toBe(archived.n);
    expect(
      await t.db.map(`SELECT local_path FROM transfers WHERE state = 'quarantined'`, [], (r: { local_path: string }) => r.local_path),
    ).toEqual(['/o/kept.jpg']);
    // Operators' records: the pause still in effect stays, whatever its age, and the recent retry with its items.
    expect(
      await t.db.any(`SELECT a.action, a.stage, count(i.id)::int AS items FROM operator_actions a
        LEFT JOIN retried_items i ON i.action_id = a.id GROUP BY a.id ORDER BY a.id`),
    ).toEqual([
      { action: 'pause', stage: '', items: 0 },
      { action: 'retry', stage: 'upload', items: 2 },
    ]);
  });

  it('does nothing the second time', async () => {
    expect(totalRows(await run(false))).toBe(0);
  });

  it('removes old job directories, logs and thumbnails, but not those of live jobs or of uploads under way', async () => {
    const work = path.join(state, 'work');
    await touch(path.join(work, 'run', 'sdoss', 'oldtoken', 'job.sh'));
    await touch(path.join(work, 'run', 'sdoss', 'livetoken', 'job.sh'));
    await touch(path.join(state, 'logs', 'sdoss', '2026-01-01', 'nocturne-sdoss-old.0.log'));
    await touch(path.join(state, 'logs', 'sdoss', '2026-01-01', 'nocturne-live.0.log'));
    await touch(path.join(work, 'sdoss', 'thumbnails', 'a.jpg'));
    await touch(path.join(work, 'sdoss', 'thumbnails', 'b.jpg'));
    await t.db.none(`INSERT INTO jobs (token, name, pipeline, executor, is_array, state, job_dir, script_path, submit_argv)
      VALUES ('livetoken', 'nocturne-live', 'sdoss', 'slurm', true, 'submitted', '/x', '/x/job.sh', '[]')`);
    await t.db.none(
      `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path)
      VALUES ('sdoss', 'archive', 'thumbnail', $1, 100, 0, '/hfc/b.jpg')`,
      [path.join(work, 'sdoss', 'thumbnails', 'b.jpg')],
    );

    // 60 days on: past jobs' and thumbnails' 30 days, within quarantine's 90.
    const later = Date.now() + 60 * DAY;
    const preview = await run(true, later);
    expect(preview.kinds.jobs.files).toEqual({ files: 2, bytes: 200 });
    expect(preview.kinds.thumbnails.files).toEqual({ files: 1, bytes: 100 });
    expect(preview.kinds.quarantine.files).toEqual({ files: 0, bytes: 0 });
    expect(await readdir(path.join(work, 'run', 'sdoss'))).toHaveLength(2);

    const done = await run(false, later);
    expect(done.kinds.jobs.files).toEqual(preview.kinds.jobs.files);
    expect(await readdir(path.join(work, 'run', 'sdoss'))).toEqual(['livetoken']);
    expect(await readdir(path.join(state, 'logs', 'sdoss', '2026-01-01'))).toEqual(['nocturne-live.0.log']);
    expect(await readdir(path.join(work, 'sdoss', 'thumbnails'))).toEqual(['b.jpg']);

    // A year on, the quarantined file goes, and with it (its file gone) its ledger row's reason to stay.
    const yearOn = await run(false, Date.now() + 365 * DAY);
    expect(yearOn.kinds.quarantine.files.files).toBe(1);
    expect((await run(false)).kinds.goneFiles.rows['transfers']).toBe(1);
  });

  it('lets one prune at a time run: a second one meanwhile reports busy', async () => {
    const [a, b] = await Promise.all([run(true), run(true)]);
    expect([a.busy, b.busy].filter(Boolean)).toHaveLength(1);
  });
});
