/**
 * Three years of nights for bench/monitor.ts, written by PostgreSQL itself
 * (generate_series): per pipeline and night one run-stage run with a 20-task SLURM job
 * array, 24 hourly uploads and 96 ingest runs; 20 observations, 60 files (3 per task)
 * with 6 transfer events each (over a million in all), one set load per task, and a
 * single-CSV ledger of one file per night. A few of each are failures or set aside, as a
 * real history has.
 */
import type { Db } from '../src/db/database.js';

interface SeedSize {
  pipelines: readonly string[];
  nights: number;
  tasksPerNight: number;
}

/** The seed's nights end yesterday (UTC): night i is `first + i days`. */
function firstNight(nights: number, now = new Date()): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - nights * 86_400_000);
}

export async function seedHistory(db: Db, size: SeedSize, log: (line: string) => void): Promise<void> {
  const first = firstNight(size.nights);
  const params = [size.pipelines, size.nights, first, size.tasksPerNight];
  const step = async (label: string, sql: string) => {
    const started = performance.now();
    const result = await db.result(sql, params);
    log(`  ${label.padEnd(18)} ${String(result.rowCount).padStart(9)} rows  ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  // $1 pipelines, $2 nights, $3 first night (UTC midnight), $4 tasks per night.
  await step(
    'runs',
    `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at, error_code, error, stats)
     SELECT p, s.stage, slot, 'schedule', state, 'bench-host', 1, slot, slot + interval '1 second', slot + s.took,
            CASE WHEN state = 'failed' THEN 'JOB_FAILED' END, CASE WHEN state = 'failed' THEN 'a task failed' END, '{"files": 60}'::jsonb
       FROM unnest($1::text[]) AS p
       CROSS JOIN generate_series(0, $2 - 1) AS n
       CROSS JOIN (VALUES ('run', 1, interval '1 hour', interval '1 hour', interval '20 minutes'),
                          ('upload', 24, interval '5 minutes', interval '1 hour', interval '40 seconds'),
                          ('ingest', 96, interval '0 minutes', interval '15 minutes', interval '20 seconds')) AS s(stage, per_night, first_at, every, took)
       CROSS JOIN LATERAL generate_series(0, s.per_night - 1) AS k
       CROSS JOIN LATERAL (SELECT $3::timestamptz + n * interval '1 day' + s.first_at + k * s.every AS slot,
                                  CASE WHEN (n * 7 + k + length(p)) % 53 = 0 THEN 'failed' ELSE 'succeeded' END AS state) x`,
  );
  await step(
    'observations',
    `INSERT INTO observations (pipeline, input, obs, night, state, failures, last_error, first_seen_at, updated_at)
     SELECT p, format('/data/%s/%s/obs_%s.obs', p, d::date, i), format('obs_%s_%s', to_char(d, 'YYYYMMDD'), i), d::date,
            CASE WHEN (n + i) % 97 = 0 THEN 'failed' ELSE 'done' END, 0,
            CASE WHEN (n + i) % 97 = 0 THEN 'detection code exited with status 3' END, d, d + interval '2 hours'
       FROM unnest($1::text[]) AS p CROSS JOIN generate_series(0, $2 - 1) AS n
       CROSS JOIN LATERAL (SELECT $3::timestamptz + n * interval '1 day' AS d) x
       CROSS JOIN generate_series(0, $4 - 1) AS i`,
  );
  await step(
    'jobs',
    `INSERT INTO jobs (token, name, pipeline, run_id, executor, is_array, scheduler_id, state, job_dir, script_path, submit_argv, submitted_at, finished_at)
     SELECT 'tok' || r.id, 'noc-' || r.pipeline || '-' || r.id, r.pipeline, r.id, 'slurm', true, (100000 + r.id)::text, 'finished',
            '/var/lib/nocturne/work/jobs/' || r.id, '/var/lib/nocturne/work/jobs/' || r.id || '/job.sh', '[]'::jsonb, r.started_at, r.finished_at
       FROM runs r WHERE r.stage = 'run'`,
  );
  await step(
    'job_tasks',
    `INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, state, scheduler_state, exit_code, reason, log_path, log_tail, outputs, started_at, finished_at)
     SELECT j.id, o.i, o.pipeline, o.input, o.obs, 1, CASE WHEN o.state = 'failed' THEN 'failed' ELSE 'completed' END,
            CASE WHEN o.state = 'failed' THEN 'FAILED' ELSE 'COMPLETED' END, CASE WHEN o.state = 'failed' THEN 3 ELSE 0 END,
            o.last_error, '/var/lib/nocturne/logs/' || o.obs || '.log', CASE WHEN o.state = 'failed' THEN 'detect: failed' END,
            jsonb_build_array(o.obs || '.jpg', o.obs || '_init.csv', o.obs || '_feat.csv'), r.started_at, r.finished_at
       FROM jobs j JOIN runs r ON r.id = j.run_id
       JOIN LATERAL (SELECT ob.*, (regexp_match(ob.obs, '_(\\d+)$'))[1]::int AS i FROM observations ob
                      WHERE ob.pipeline = r.pipeline AND ob.night = (r.slot AT TIME ZONE 'UTC')::date) o ON true`,
  );
  await step(
    'transfers',
    `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, verify_method, error, quarantine_path, run_id, created_at, updated_at)
     SELECT t.pipeline, 'archive', 'output', '/var/lib/nocturne/outbox/' || t.pipeline || '/' || f.file, 20000, 0,
            format('/hfc/%s/%s/%s', t.pipeline, to_char(r.slot, 'YYYY/MM'), f.file),
            CASE WHEN f.quarantined THEN 'quarantined' ELSE 'deleted' END, CASE WHEN f.quarantined THEN NULL ELSE 'size' END,
            CASE WHEN f.quarantined THEN 'quicklook cannot be decoded' END,
            CASE WHEN f.quarantined THEN '/var/lib/nocturne/quarantine/' || t.pipeline || '/' || f.file END,
            u.id, u.started_at, u.finished_at
       FROM job_tasks t JOIN jobs j ON j.id = t.job JOIN runs r ON r.id = j.run_id
       JOIN LATERAL (SELECT id, started_at, finished_at FROM runs x WHERE x.pipeline = r.pipeline AND x.stage = 'upload'
                        AND x.slot > r.slot ORDER BY x.slot LIMIT 1) u ON true
       CROSS JOIN LATERAL (SELECT e.file, e.file LIKE '%.jpg' AND (t.task_index + j.id) % 400 = 0 AS quarantined
                             FROM jsonb_array_elements_text(t.outputs) AS e(file)) f
      WHERE t.state = 'completed'`,
  );
  await step(
    'transfer_events',
    `INSERT INTO transfer_events (transfer_id, from_state, to_state, at, run_id, note)
     SELECT x.id, e.from_state, e.to_state, x.created_at + e.k * interval '1 second', x.run_id, NULL
       FROM transfers x
       CROSS JOIN LATERAL (VALUES (0, NULL, 'discovered'), (1, 'discovered', 'uploading'), (2, 'uploading', 'verified'),
                                  (3, 'verified', 'renamed'), (4, 'renamed', 'checked'), (5, 'checked', 'deleted')) AS e(k, from_state, to_state)
      WHERE x.state = 'deleted'`,
  );
  await step(
    'ingested_sets',
    `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, rows, error, report, run_id, host, first_seen_at, finished_at)
     SELECT 'archive:/hfc/' || t.pipeline, t.pipeline, t.pipeline, '1.0', t.obs, 'set', encode(sha256(convert_to(t.obs, 'UTF8')), 'hex'),
            jsonb_build_array(jsonb_build_object('role', 'init', 'path', replace(jpg.remote_path, '.jpg', '_init.csv'), 'sha256', encode(sha256(convert_to(t.obs || 'i', 'UTF8')), 'hex'), 'size', 900),
                              jsonb_build_object('role', 'feat', 'path', replace(jpg.remote_path, '.jpg', '_feat.csv'), 'sha256', encode(sha256(convert_to(t.obs || 'f', 'UTF8')), 'hex'), 'size', 4000)),
            CASE WHEN rejected THEN 'rejected' ELSE 'loaded' END,
            CASE WHEN rejected THEN '{}'::jsonb ELSE '{"observations": 2, "sunspots": 5}'::jsonb END,
            CASE WHEN rejected THEN t.obs || '_feat.csv:2:FEAT_X_ARCSEC: "x" is not a number' END,
            CASE WHEN rejected THEN '{"issues": [{"line": 2, "column": "FEAT_X_ARCSEC", "value": "x", "reason": "is not a number"}]}'::jsonb END,
            i.id, 'bench-host', i.started_at, i.finished_at
       FROM job_tasks t
       JOIN transfers jpg ON jpg.pipeline = t.pipeline AND jpg.local_path = '/var/lib/nocturne/outbox/' || t.pipeline || '/' || t.obs || '.jpg'
       JOIN LATERAL (SELECT id, started_at, finished_at FROM runs x WHERE x.pipeline = t.pipeline AND x.stage = 'ingest'
                        AND x.slot > jpg.updated_at ORDER BY x.slot LIMIT 1) i ON true
       CROSS JOIN LATERAL (SELECT (t.task_index + t.job) % 211 = 0 AS rejected) z`,
  );
  // Pipelines that loaded single CSV files before they moved to sets leave such a ledger.
  await step(
    'ingested_files',
    `INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, rows_read, rows_inserted,
                                 rows_quarantined, error, host, started_at, finished_at)
     SELECT 'local:/data/csv', format('/data/csv/%s/%s.csv', p, n), encode(sha256(convert_to(p || n, 'UTF8')), 'hex'), 1000, p, p, '0.9',
            'public.features', CASE WHEN n % 89 = 0 THEN 'rejected' ELSE 'loaded' END, 50, CASE WHEN n % 89 = 0 THEN 0 ELSE 50 END,
            CASE WHEN n % 31 = 0 THEN 1 ELSE 0 END, CASE WHEN n % 89 = 0 THEN format('/data/csv/%s/%s.csv:2:x: not a number', p, n) END,
            'bench-host', $3::timestamptz + n * interval '1 day', $3::timestamptz + n * interval '1 day' + interval '1 minute'
       FROM unnest($1::text[]) AS p CROSS JOIN generate_series(0, $2 - 1) AS n`,
  );
  await db.none('ANALYZE');
}
