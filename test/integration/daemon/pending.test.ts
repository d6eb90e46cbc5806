import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_COUNTERS } from '../../../src/daemon/pending.js';
import { stageStatuses } from '../../../src/daemon/status-report.js';
import { beginRun, finishRun } from '../../../src/runs/runs.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { testConfig } from '../../unit/scheduling/test-config.js';
import { FRC_INFO, OBSERVATORY, feat, init } from '../ingest-sets/sdoss-files.js';
import { createSetsWorld } from '../ingest-sets/world.js';
import { DaemonProcess, freePort, nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';

const sha = 'a'.repeat(64);

describe('pending work and status, from the stages’ state tables', () => {
  let t: TestDb;
  const config = testConfig(
    {
      eit: { run: { schedule: '0 2 * * *' }, upload: { schedule: '0 3 * * *' }, ingest: { schedule: '0 4 * * *' } },
    },
    { host: { stages: ['run', 'upload'] } },
  );
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
      // CASCADE: the views of what is open (0021) read transfers.
      await bare.db.none('DROP TABLE job_tasks, transfer_events, transfers CASCADE');
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

describe('pending work of a sets pipeline (HFC file sets)', () => {
  it('counts its rejected, refused and waiting sets, in status and in nocturne_stage_pending', async () => {
    const w = await createSetsWorld('pending', { sets: { initWait: '1h' } });
    let daemon: DaemonProcess | undefined;
    try {
      await w.write('sdoss_106_frc_info.csv', FRC_INFO);
      await w.write('sdoss_106_observatory.csv', OBSERVATORY);
      // Two sets with a bad field (rejected), one good set (loaded), one feature file without its init (waiting).
      for (const date of ['20140221T000045', '20140221T001545']) {
        await w.write(`sdoss_106_${date}_sdo_init.csv`, init(date));
        const name = `sdoss_106_${date}_sdo_feat.csv`;
        await w.write(name, feat(name, 3).replace(';1231;1676;', ';1.231e3;1676;'));
      }
      await w.write('sdoss_106_20140221T003045_sdo_init.csv', init('20140221T003045'));
      await w.write('sdoss_106_20140221T004545_sdo_feat.csv', feat('sdoss_106_20140221T004545_sdo_feat.csv', 2));
      expect((await w.run()).stats).toMatchObject({ loaded: 1, rejected: 2, waiting: 1 });
      const expected = { sets_rejected: 2, sets_refused: 0, sets_waiting: 1 };
      expect(await PENDING_COUNTERS.ingest(w.db, w.config.pipelines.get(w.pipeline)!)).toEqual(expected);

      // What an operator sees: `nocturne status` and the daemon's /metrics.
      const port = await freePort();
      await writeDaemonConfig(w.spec.dir, {
        pgUrl: w.test.url,
        schema: w.test.schema,
        port,
        pipelines: { [w.pipeline]: await readFile(w.spec.pipelineFile, 'utf8') },
      });
      const status = await nocturne(['status', '--config', w.spec.dir]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^sdoss\/ingest .* sets_rejected=2 sets_refused=0 sets_waiting=1$/m);
      daemon = new DaemonProcess(w.spec.dir);
      await daemon.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const [kind, n] of Object.entries(expected)) {
        expect(metrics).toContain(`nocturne_stage_pending{pipeline="sdoss",stage="ingest",kind="${kind}"} ${n}\n`);
      }
    } finally {
      daemon?.kill('SIGTERM');
      await daemon?.exited;
      await w.close();
    }
  });
});
