import type { Db } from '../src/db/database.js';

export interface HistorySeed {
  pipeline: string;
  /** Nights of history, ending `endDaysAgo` days before now. */
  nights: number;
  endDaysAgo?: number;
  /** Observations per night (one job array per night, one task each). */
  perNight: number;
  /** Every `loadedEvery`-th observation (counting through the nights) makes a set loaded into the catalogue: its job is provenance. */
  loadedEvery: number;
  /** Archive target name, and the remote directory of the outputs. */
  target?: string;
}

/**
 * Years of history in the state database, written by SQL alone (generate_series): per
 * night a run of each stage, one job array with a task per observation, two outputs per
 * task (init and feat CSVs) and a quicklook, each output a transfer with its six events
 * (archived and deleted locally) but one quicklook in ten missing, and every `loadedEvery`-th
 * observation's CSVs a loaded set; the others were never loaded. Shapes and sizes follow
 * what the stages write, so the prune touches rows like the real ones.
 */
export async function seedHistory(db: Db, seed: HistorySeed): Promise<void> {
  const target = seed.target ?? 'archive';
  const p = {
    pipeline: seed.pipeline,
    nights: seed.nights,
    end: seed.endDaysAgo ?? 0,
    per: seed.perNight,
    every: seed.loadedEvery,
    target,
  };
  await db.tx('seed history', async (tx) => {
    await tx.none(
      `CREATE TEMP TABLE seed_nights ON COMMIT DROP AS
      SELECT n, (now() - (($<end> + $<nights> - n) * interval '1 day'))::timestamptz AS at
        FROM generate_series(1, $<nights>) n`,
      p,
    );
    await tx.none(
      `CREATE TEMP TABLE seed_obs ON COMMIT DROP AS
      SELECT n, i, at, format('%s_%s_%s', $<pipeline>, n, i) AS obs
        FROM seed_nights, generate_series(1, $<per>) i`,
      p,
    );
    await tx.none(
      `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at, stats)
      SELECT $<pipeline>, stage, at, 'schedule', 'succeeded', 'seed', 1, at, at, at + interval '20 minutes', '{"observations": 40, "completed": 40}'
        FROM seed_nights, unnest(ARRAY['run', 'upload', 'ingest']) stage`,
      p,
    );
    await tx.none(
      `INSERT INTO observations (pipeline, input, obs, night, state, updated_at, first_seen_at)
      SELECT $<pipeline>, '/data/' || obs || '.fits', obs, at::date, 'done', at, at FROM seed_obs`,
      p,
    );
    await tx.none(
      `INSERT INTO jobs (token, name, pipeline, run_id, executor, is_array, scheduler_id, state, job_dir, script_path, submit_argv,
                                     created_at, submitted_at, finished_at, code_version)
      SELECT $<pipeline> || '-' || n, 'nocturne-' || $<pipeline> || '-' || n, $<pipeline>, r.id, 'slurm', true, (1000 + n)::text, 'finished',
             '/var/lib/nocturne/work/run/' || $<pipeline> || '/' || n, '/var/lib/nocturne/work/run/' || $<pipeline> || '/' || n || '/job.sh',
             '["sbatch", "--parsable", "--array=0-39%8", "job.sh"]', at, at, at + interval '15 minutes', '1.0'
        FROM seed_nights JOIN runs r ON r.pipeline = $<pipeline> AND r.stage = 'run' AND r.slot = seed_nights.at`,
      p,
    );
    await tx.none(
      `INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, state, scheduler_state, exit_code, log_path, outputs,
                                          started_at, finished_at, node)
      SELECT j.id, i - 1, $<pipeline>, '/data/' || obs || '.fits', obs, 1, 'completed', 'COMPLETED', 0,
             '/var/lib/nocturne/logs/' || $<pipeline> || '/' || obs || '.log',
             jsonb_build_array(obs || '_init.csv', obs || '_feat.csv', obs || '.jpg'), at, at + interval '10 minutes', 'node1'
        FROM seed_obs JOIN jobs j ON j.token = $<pipeline> || '-' || seed_obs.n`,
      p,
    );
    await tx.none(
      `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, verify_method,
                                          local_sha256, attempts, created_at, updated_at)
      SELECT $<pipeline>, $<target>, 'output', '/var/lib/nocturne/outbox/' || obs || suffix, 40000, 0, '/hfc/' || obs || suffix,
             CASE WHEN suffix = '.jpg' AND (n + i) % 10 = 0 THEN 'missing' ELSE 'deleted' END, 'size+sha256-readback',
             encode(sha256(convert_to(obs || suffix, 'UTF8')), 'hex'), 1, at, at + interval '1 hour'
        FROM seed_obs, unnest(ARRAY['_init.csv', '_feat.csv', '.jpg']) suffix`,
      p,
    );
    await tx.none(
      `INSERT INTO transfer_events (transfer_id, from_state, to_state, at, note)
      SELECT t.id, s.from_state, s.to_state, t.created_at + s.k * interval '1 second', s.note
        FROM transfers t
        CROSS JOIN LATERAL (VALUES (1, NULL, 'discovered', NULL), (2, 'discovered', 'uploading', t.remote_path || '.x1y2.partial'),
                                   (3, 'uploading', 'verified', 'size 40000 and sha256 match'), (4, 'verified', 'renamed', NULL),
                                   (5, 'renamed', 'checked', NULL), (6, 'checked', t.state, NULL)) s(k, from_state, to_state, note)
       WHERE t.pipeline = $<pipeline> AND t.target = $<target>`,
      p,
    );
    await tx.none(
      `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host,
                                              first_seen_at, finished_at, rows)
      SELECT $<target> || ':/hfc', $<pipeline>, $<pipeline>, '1.0', obs, 'set', encode(sha256(convert_to(obs, 'UTF8')), 'hex'),
             jsonb_build_array(
               jsonb_build_object('role', 'init', 'path', '/hfc/' || obs || '_init.csv', 'size', 40000,
                                  'sha256', encode(sha256(convert_to(obs || '_init.csv', 'UTF8')), 'hex')),
               jsonb_build_object('role', 'feat', 'path', '/hfc/' || obs || '_feat.csv', 'size', 40000,
                                  'sha256', encode(sha256(convert_to(obs || '_feat.csv', 'UTF8')), 'hex'))),
             'loaded', 'seed', at + interval '2 hours', at + interval '2 hours', '{"observations": 1, "sunspots": 12}'
        FROM seed_obs WHERE (n * $<per> + i) % $<every> = 0`,
      p,
    );
  });
}
