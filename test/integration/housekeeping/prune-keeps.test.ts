// What nocturne prune keeps however old, against the real PostgreSQL: the last slot the
// scheduler catches up from, and the jobs of outputs that may still be loaded.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYaml } from '../../../src/config/locate.js';
import { compilePipeline } from '../../../src/config/resolve.js';
import { pipelineSchema } from '../../../src/config/schema.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import { prune } from '../../../src/housekeeping/prune.js';
import { createPgSlotLedger } from '../../../src/scheduling/slot-ledger.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { testConfig } from '../../unit/scheduling/test-config.js';

let t: TestDb;
let catalogue: string;
let config: NocturneConfig;

const run = (dryRun = false) => prune({ db: t.db, config, clock: { now: () => new Date() } }, { dryRun });

beforeAll(async () => {
  t = await createTestDb('prune_keeps');
  catalogue = `${t.schema}_hfc`;
  await installCatalogue(t.db, { schema: catalogue, stateSchema: t.schema });
  config = testConfig({ 'spoca-ar': { upload: { schedule: '0 * * * *' } } }, { retention: { runs: '1d' } });
  // A pipeline loading file sets named {code}_{version}_{date}_{obs}_{role}.csv (sdoss_106_..._init.csv).
  const file = path.resolve(import.meta.dirname, '../../fixtures/config/sets-valid/pipelines/sdoss.yaml');
  const sdoss = parseYaml(file, await readFile(file, 'utf8')).data;
  const pipelines = new Map([...config.pipelines, ['sdoss', { config: compilePipeline(pipelineSchema.parse(sdoss)), file }]]);
  config = { ...config, pipelines };
}, 60_000);

afterAll(async () => {
  await t?.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [catalogue]);
  await t?.drop();
});

describe('prune and the scheduler', () => {
  it("keeps a stage's last scheduled run when a manual run is newer: catch-up starts from it", async () => {
    await t.db.none(`INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at) VALUES
      ('spoca-ar', 'upload', date_trunc('hour', now()) - interval '4 days', 'schedule', 'succeeded', 'h', 1, now() - interval '4 days', now() - interval '4 days', now() - interval '4 days'),
      ('spoca-ar', 'upload', date_trunc('hour', now()) - interval '3 days' + interval '5 min', 'catchup', 'succeeded', 'h', 1, now() - interval '3 days', now() - interval '3 days', now() - interval '3 days'),
      ('spoca-ar', 'upload', now() - interval '2 days', 'manual', 'succeeded', 'h', 1, now() - interval '2 days', now() - interval '2 days', now() - interval '2 days')`);
    const before = await createPgSlotLedger(t.db).lastSlots();
    const dry = await run(true);
    const done = await run();
    // The older scheduled run goes; the last slot and the newest run (status) stay.
    expect(dry.kinds.runs.rows['runs']).toBe(1);
    expect(done.kinds.runs.rows['runs']).toBe(1);
    expect(await t.db.map(`SELECT trigger FROM runs ORDER BY slot`, [], (r: { trigger: string }) => r.trigger)).toEqual([
      'catchup',
      'manual',
    ]);
    const after = await createPgSlotLedger(t.db).lastSlots();
    expect(after).toEqual(before);
    expect(after.get('spoca-ar/upload')?.slot.getTime()).toBe(before.get('spoca-ar/upload')?.slot.getTime());
  });
});

describe('a failed dry run', () => {
  it('says it was counting, not removing', async () => {
    // An age the schema refuses (3000000d: before PostgreSQL's first timestamp), set past it.
    const daemon = { ...config.daemon, retention: { ...config.daemon.retention, runsMs: 3_000_000 * 86_400_000 } };
    const failing = prune({ db: t.db, config: { ...config, daemon }, clock: { now: () => new Date() } }, { dryRun: true });
    await expect(failing).rejects.toMatchObject({
      code: 'DB_FAILED',
      message: expect.stringMatching(/^prune runs: counting old rows of jobs: .*timestamp out of range/),
    });
  });
});

/**
 * A job of three days ago (one run, one completed task) that published the observation's
 * init and feat CSVs and a quicklook into the outbox; `files` then records what became of
 * each, by its role or "jpg". `ledger` is the run stage's: a campaign's is sdoss.c<id>.
 */
async function jobOf(
  obs: string,
  files: Record<string, { transfer?: string; set?: string; updated?: string }> = {},
  ledger = 'sdoss',
): Promise<void> {
  const name = (role: string) => (role === 'jpg' ? `sdoss_106_${obs}.jpg` : `sdoss_106_${obs}_${role}.csv`);
  await t.db.tx(async (tx) => {
    const { id: run } = await tx.one<{ id: string }>(
      `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, started_at, finished_at)
       VALUES ('sdoss', 'run', now() - interval '3 days' + $1 * interval '1 second', 'schedule', 'succeeded', 'h', 1,
               now() - interval '3 days', now() - interval '3 days', now() - interval '3 days') RETURNING id`,
      [Number(obs.slice(9, 15))],
    );
    await tx.none(`INSERT INTO observations (pipeline, input, obs, night, state) VALUES ($3, $1, $2, current_date - 3, 'done')`, [
      `/data/${obs}.fits`,
      obs,
      ledger,
    ]);
    const { id: job } = await tx.one<{ id: string }>(
      `INSERT INTO jobs (token, name, pipeline, run_id, executor, is_array, scheduler_id, state, job_dir, script_path, submit_argv,
                         created_at, finished_at)
       VALUES ($1, 'nocturne-' || $1, $3, $2, 'slurm', false, '7', 'finished', '/w', '/w/job.sh', '[]',
               now() - interval '3 days', now() - interval '3 days') RETURNING id`,
      [obs, run, ledger],
    );
    await tx.none(
      `INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, state, log_path, outputs, started_at, finished_at)
       VALUES ($1, 0, $5, $2, $3, 1, 'completed', '/l', $4::jsonb, now() - interval '3 days', now() - interval '3 days')`,
      [job, `/data/${obs}.fits`, obs, JSON.stringify(['init', 'feat', 'jpg'].map(name)), ledger],
    );
    for (const [role, fate] of Object.entries(files)) {
      if (fate.transfer) {
        await tx.none(
          `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, quarantine_path, partial_path, updated_at)
           VALUES ('sdoss', 'archive', 'output', '/outbox/sdoss/' || $1, 1, 0, '/hfc/sdoss/' || $1, $2, '/q/' || $1, '/hfc/.p', $3)`,
          [name(role), fate.transfer, fate.updated ?? 'now'],
        );
      }
      if (fate.set) {
        const [status, incomplete] = fate.set.split(' ');
        await tx.none(
          `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, incomplete, host)
           VALUES ('archive:/hfc/sdoss', 'sdoss', 'sdoss', '1.06', $1, 'set', encode(sha256(convert_to($2, 'UTF8')), 'hex'), $2::jsonb, $3, $4, 'h')`,
          [`sdoss_106_${obs}`, JSON.stringify([{ role, path: `/hfc/sdoss/${name(role)}` }]), status, incomplete === 'incomplete'],
        );
      }
    }
  });
}

describe('prune and the outputs not loaded yet', () => {
  it('keeps the job of an output that may still be loaded, so that lineage() names it once loaded', async () => {
    const jobs = ['20261201T000001_sdo', '20261201T000002_sdo', '20261201T000003_sdo', '20261201T000004_sdo'];
    // Waiting in the outbox (the upload's target down), on its way, on the archive (the ingest paused).
    await jobOf(jobs[0]!);
    await jobOf(jobs[1]!, { init: { transfer: 'uploading' }, feat: { transfer: 'deleted' } });
    await jobOf(jobs[2]!, { init: { transfer: 'deleted' }, feat: { transfer: 'deleted' } });
    // The feat file's set rejected as incomplete (it loads once its init file comes), the init file lost long ago.
    await jobOf(jobs[3]!, {
      init: { transfer: 'missing', updated: '2020-01-01' },
      feat: { transfer: 'deleted', set: 'rejected incomplete' },
    });
    // Settled: rejected for what it holds; lost (missing, quarantined); a quicklook alone on the archive.
    await jobOf('20261201T000005_sdo', { init: { transfer: 'deleted', set: 'rejected' }, feat: { transfer: 'deleted', set: 'refused' } });
    await jobOf('20261201T000006_sdo', { init: { transfer: 'missing' }, feat: { transfer: 'quarantined' } });
    await jobOf('20261201T000007_sdo', { init: { transfer: 'missing' }, feat: { transfer: 'missing' }, jpg: { transfer: 'deleted' } });
    // A campaign's job (ledger sdoss.c3), its outputs in the pipeline's outbox and transfers: lost.
    await jobOf('20261201T000008_sdo', { init: { transfer: 'missing' }, feat: { transfer: 'quarantined' } }, 'sdoss.c3');
    // A newer run of the stage: none of these is its latest.
    await t.db.none(`INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until)
      VALUES ('sdoss', 'run', now(), 'schedule', 'succeeded', 'h', 1, now())`);

    const dry = await run(true);
    const done = await run();
    expect(done.kinds).toEqual(dry.kinds);
    expect(done.kinds.runs.rows).toEqual({ jobs: 4, job_tasks: 4, runs: 4 });
    expect(await t.db.map('SELECT token FROM jobs ORDER BY token', [], (r: { token: string }) => r.token)).toEqual(jobs);
    // The init file lost long ago still says so: its job stays, waiting on the feat file.
    expect(done.kinds.goneFiles.rows['transfers']).toBe(0);

    // Then the upload and the ingest: the load's lineage names the job, its task and the observation.
    const name = (role: string) => `sdoss_106_${jobs[0]!}_${role}.csv`;
    await t.db.none(
      `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state)
       SELECT 'sdoss', 'archive', 'output', '/outbox/sdoss/' || n, 1, 0, '/hfc/sdoss/' || n, 'deleted' FROM unnest($1::text[]) n`,
      [[name('init'), name('feat')]],
    );
    const { id: load } = await t.db.one<{ id: string }>(
      `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host, finished_at)
       VALUES ('archive:/hfc/sdoss', 'sdoss', 'sdoss', '1.06', $1, 'set', repeat('b', 64), $2::jsonb, 'loaded', 'h', now()) RETURNING id`,
      [`sdoss_106_${jobs[0]!}`, JSON.stringify(['init', 'feat'].map((role) => ({ role, path: `/hfc/sdoss/${name(role)}` })))],
    );
    const lineage = await t.db.any<{ job_id: string | null; task_state: string | null; observation: string | null }>(
      'SELECT job_id, task_state, observation FROM $1:name.lineage($2::bigint)',
      [catalogue, load],
    );
    expect(lineage).toEqual([0, 1].map(() => ({ job_id: expect.any(String), task_state: 'completed', observation: jobs[0] })));
  });
});
