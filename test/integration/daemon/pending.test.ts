import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_COUNTERS } from '../../../src/daemon/pending.js';
import { stageStatuses } from '../../../src/daemon/status-report.js';
import { beginRun, finishRun } from '../../../src/runs/runs.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { testConfig } from '../../unit/scheduling/test-config.js';

const sha = 'a'.repeat(64);

describe('pending work and status, from the stages’ state tables', () => {
  let t: TestDb;
  const config = testConfig({
    eit: { run: { schedule: '0 2 * * *' }, upload: { schedule: '0 3 * * *' }, ingest: { schedule: '0 4 * * *' } },
  }, { host: { stages: ['run', 'upload'] } });
  const eit = config.pipelines.get('eit')!;

  beforeAll(async () => {
    t = await createTestDb('pending');
    await t.db.none(`
      INSERT INTO observations (pipeline, input, obs, night, state) VALUES
        ('eit', '/d/1.fits', '1', '2026-11-20', 'pending'), ('eit', '/d/2.fits', '2', '2026-11-20', 'pending'),
        ('eit', '/d/3.fits', '3', '2026-11-20', 'active'), ('eit', '/d/4.fits', '4', '2026-11-20', 'done'),
        ('other', '/d/5.fits', '5', '2026-11-20', 'pending');
      INSERT INTO jobs (token, name, pipeline, executor, is_array, state, job_dir, script_path, submit_argv)
        VALUES ('tok1', 'noc-eit-1', 'eit', 'slurm', true, 'submitted', '/w/1', '/w/1/job.sh', '[]'),
               ('tok2', 'noc-eit-2', 'eit', 'slurm', false, 'finished', '/w/2', '/w/2/job.sh', '[]');
      INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, state, log_path)
        SELECT id, 0, 'eit', '/d/3.fits', '3', 1, 'running', '/l/3' FROM jobs WHERE token = 'tok1';
      INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, state, log_path)
        SELECT id, 0, 'eit', '/d/4.fits', '4', 1, 'completed', '/l/4' FROM jobs WHERE token = 'tok2';
      INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, partial_path, quarantine_path)
        VALUES ('eit', 'archive', 'output', '/o/a.csv', 100, 0, 'a.csv', 'discovered', NULL, NULL),
               ('eit', 'archive', 'output', '/o/b.csv', 250, 0, 'b.csv', 'uploading', 'b.csv.x.partial', NULL),
               ('eit', 'archive', 'output', '/o/c.csv', 999, 0, 'c.csv', 'deleted', NULL, NULL),
               ('eit', 'archive', 'output', '/o/d.jpg', 5, 0, 'd.jpg', 'quarantined', NULL, '/q/d.jpg');
      INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, host)
        VALUES ('local:/in', '/in/x.csv', '${sha}', 10, 'eit', 'eit', '1', 'hfc.x', 'rejected', 'h');
    `);
  });
  afterAll(async () => t.drop());

  it('counts what each stage has waiting', async () => {
    expect(await PENDING_COUNTERS.run(t.db, eit)).toEqual({ observations_pending: 2, observations_active: 1, tasks_running: 1 });
    expect(await PENDING_COUNTERS.upload(t.db, eit)).toEqual({ files: 2, bytes: 350, quarantined: 1 });
    expect(await PENDING_COUNTERS.ingest(t.db, eit)).toEqual({ files_rejected: 1 });
  });

  it('counts nothing, without failing, while a stage’s tables do not exist', async () => {
    const bare = await createTestDb('pending_bare');
    try {
      await bare.db.none('DROP TABLE job_tasks, transfer_events, transfers');
      expect(await PENDING_COUNTERS.run(bare.db, eit)).toEqual({});
      expect(await PENDING_COUNTERS.upload(bare.db, eit)).toEqual({});
    } finally {
      await bare.drop();
    }
  });

  it('reports each stage: next slot, last result, live run, pending work, and whether this host runs it', async () => {
    const slot = new Date('2026-11-20T02:00:00Z');
    const first = await beginRun(t.db, { pipeline: 'eit', stage: 'run', slot, trigger: 'schedule', leaseMs: 60_000, host: 'tycho' });
    await finishRun(t.db, first.run.id, { state: 'failed', stats: {}, errorCode: 'JOB_FAILED', error: 'job 12 failed' });
    await beginRun(t.db, { pipeline: 'eit', stage: 'upload', slot, trigger: 'catchup', leaseMs: 60_000, host: 'tycho' });
    const statuses = await stageStatuses(config, t.db, { now: new Date('2026-11-20T12:00:00Z') });
    expect(statuses.map((s) => [s.stage, s.onThisHost, s.next, s.last?.state ?? null, s.running?.host ?? null])).toEqual([
      ['run', true, '2026-11-21T02:00:00.000Z', 'failed', null],
      ['upload', true, '2026-11-21T03:00:00.000Z', null, 'tycho'],
      ['ingest', false, '2026-11-21T04:00:00.000Z', null, null],
    ]);
    expect(statuses[0]!.last).toMatchObject({ id: Number(first.run.id), detail: 'job 12 failed', trigger: 'schedule' });
    expect(statuses[1]!.pending).toEqual({ files: 2, bytes: 350, quarantined: 1 });
  });
});
