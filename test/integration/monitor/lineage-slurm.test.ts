/**
 * Lineage on the rig's real SLURM: one observation through run (sbatch) → upload → ingest,
 * then, in Chromium, from an hfc sunspots row's load to the SLURM task that produced it.
 * SLURM is shared: one small job. If the node is drained by another test, the job waits;
 * run this file again later rather than changing it.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { connectState } from '../../../src/daemon/state-store.js';
import { closeDb, openDbFromConfig, type Db } from '../../../src/db/database.js';
import { createLogger } from '../../../src/log/logger.js';
import { executeStage } from '../../../src/stages/execute.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import type { StageName } from '../../../src/stages/types.js';
import { rig } from '../../../harness/rig.js';
import { REPO, screenshot, shownName, shownPlace, watchedPage, type ShownPlace } from './demo-world.js';
import { openApiProblems } from './openapi-check.js';

const NIGHT = '2026-11-21';
const logger = createLogger({ level: 'fatal', pretty: false });
const schema = `t_monitor_lineage_${process.pid}`;
// The lineage page names the catalogue: in screenshots, hfc. Screenshot runs hold
// /tmp/nocturne-lineage (shownPlace) while they use it, so they never share it.
const catalogue = shownName(`${schema}_hfc`, 'hfc');

let dir: string;
let shown: ShownPlace | undefined;
let config: NocturneConfig;
let daemon: Daemon;
let db: Db;
let browser: Browser;
const savedSlurmConf = process.env['SLURM_CONF'];

/** A configuration directory: the repository's sdoss pipeline on SLURM, a local archive, its own schemas. */
async function writeConfig(): Promise<void> {
  await mkdir(path.join(dir, 'config'), { recursive: true });
  await mkdir(path.join(dir, 'pipelines'), { recursive: true });
  await writeFile(
    path.join(dir, 'config/nocturne.yaml'),
    stringify({
      host: { name: 'lineage-test' },
      database: { url: rig().pgUrl, schema, poolSize: 4 },
      paths: { state: path.join(dir, 'state') },
      targets: { archive: { type: 'local', path: path.join(dir, 'archive') } },
      executor: { type: 'slurm', slurm: { pollInterval: '1s', lostAfter: '2m' } },
      http: { listen: '127.0.0.1:0' },
    }),
  );
  const sdoss = parse(await readFile(path.join(REPO, 'pipelines/sdoss.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  const run = sdoss['run']!;
  run['command'] = [path.join(REPO, 'examples/detect/detect.mjs'), ...(run['command'] as string[]).slice(1)];
  run['inputs'] = { glob: path.join(dir, 'obs/{yyyy}/{mm}/{dd}/*.obs') };
  run['slurm'] = { partition: rig().slurm.partition, time: '00:05:00', mem: '200M' };
  run['retries'] = 0;
  (sdoss['ingest']!['sets'] as Record<string, unknown>)['catalogue'] = catalogue;
  await writeFile(path.join(dir, 'pipelines/sdoss.yaml'), stringify(sdoss));
  const obs = path.join(dir, 'obs', ...NIGHT.split('-'));
  await mkdir(obs, { recursive: true });
  await writeFile(path.join(obs, 'hmi_000045.obs'), `instrument=HMI\ndate_obs=${NIGHT}T00:00:45\nseed=1100\nfeatures=3\n`);
}

beforeAll(async () => {
  process.env['SLURM_CONF'] = rig().slurm.conf;
  shown = await shownPlace(await mkdtemp(path.join(tmpdir(), 'noc-monitor-lineage-')), 'nocturne-lineage');
  dir = shown.dir;
  await writeConfig();
  const loaded = await loadConfig(dir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  config = loaded.config;
  daemon = new Daemon({
    config,
    logger,
    version: 'test',
    load: async () => loaded,
    connect: (c) => connectState(c, logger),
    // The test runs the three stages itself: a slot of sdoss's schedules must not run one meanwhile.
    execute: async () => ({ kind: 'not-run', reason: 'the test runs the stages' }),
  });
  await daemon.start();
  db = await openDbFromConfig(config.daemon.database, 'monitor-lineage-test', logger);
  // A screenshot run killed before its end leaves its hfc behind: start afresh.
  await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [catalogue]);
  await installCatalogue(db, { schema: catalogue, stateSchema: schema });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop('tests done');
  if (db) {
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [catalogue]);
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
    await closeDb(db);
  }
  if (dir) await rm(await realpath(dir), { recursive: true, force: true });
  await shown?.remove();
  if (savedSlurmConf === undefined) delete process.env['SLURM_CONF'];
  else process.env['SLURM_CONF'] = savedSlurmConf;
}, 60_000);

async function stage(name: StageName): Promise<number> {
  const done = await executeStage(
    { config, db, logger, events: (event) => daemon.feed.publish(event) },
    { pipeline: 'sdoss', stage: name, slot: new Date(), trigger: 'manual', date: NIGHT },
  );
  expect(done.kind === 'done' && done.outcome.ok, `${name}: ${done.kind === 'done' ? done.outcome.summary : done.reason}`).toBe(true);
  return done.kind === 'done' ? done.runId : 0;
}

describe('lineage, on the real SLURM', () => {
  it('leads from an hfc sunspots row to the SLURM task that produced it', async () => {
    const runId = await stage('run');
    await stage('upload');
    await stage('ingest');
    const row = await db.one<{ load_id: string }>(`SELECT load_id FROM $1:name.sunspots ORDER BY id_sunspot LIMIT 1`, [catalogue]);
    const job = await db.one<{ scheduler_id: string; task_index: number; is_array: boolean; node: string | null; code_version: string }>(
      `SELECT j.scheduler_id, t.task_index, j.is_array, t.node, j.code_version FROM jobs j JOIN job_tasks t ON t.job = j.id
        WHERE j.run_id = $1 AND j.executor = 'slurm'`,
      [runId],
    );
    expect(job.scheduler_id).toMatch(/^\d+$/);
    // Where SLURM ran it, and the code version the job ran: recorded by the run stage.
    expect(job).toMatchObject({ node: rig().slurm.node, code_version: '1.06' });
    const slurmJob = job.is_array ? `${job.scheduler_id}_${job.task_index}` : job.scheduler_id;

    const { page, problems } = await watchedPage(browser);
    const base = `http://${daemon.httpAddress}`;
    await page.goto(`${base}/lineage`);
    await page.fill('input[name="load"]', row.load_id);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/lineage?load=${row.load_id}&set=&path=`);
    const tasks = page.locator('td.task');
    expect(await tasks.count()).toBe(2);
    for (const text of await tasks.allTextContents()) {
      expect(text).toContain(`SLURM job ${slurmJob} on ${rig().slurm.node}`);
      expect(text).toContain('code version 1.06');
      expect(text).toContain('hmi_000045');
    }
    expect(await page.locator('main').textContent()).toMatch(/verified .* by size/);
    await screenshot(page, 'lineage-slurm');
    // The chain goes on to the run's page, where the task is, with its node.
    await tasks.first().locator(`a[href^="/runs/${runId}"]`).click();
    const task = page.locator('tr', { has: page.locator(`th:text-is("${slurmJob}")`) });
    await expect.poll(() => task.count()).toBe(1);
    expect(await task.locator('td').allTextContents()).toContain(rig().slurm.node);
    expect(await page.locator('main').textContent()).toContain('code version 1.06');
    expect(problems).toEqual([]);

    // The API gives what the catalogue's lineage() gives analysts, for the same load.
    const answer = await fetch(`${base}/api/lineage?load=${row.load_id}`);
    const lineage = (await answer.json()) as {
      chain: { members: { path: string; task: { slurmJob: string; node: string; codeVersion: string } | null }[] };
    };
    expect(openApiProblems('get', '/api/lineage', answer.status, lineage)).toEqual([]);
    const analysts = await db.any<{ file_path: string; slurm_job: string; node: string; job_code_version: string }>(
      'SELECT file_path, slurm_job, node, job_code_version FROM $1:name.lineage($2::bigint)',
      [catalogue, row.load_id],
    );
    expect(analysts.map((r) => [r.file_path, r.slurm_job, r.node, r.job_code_version])).toEqual(
      lineage.chain.members.map((m) => [m.path, m.task?.slurmJob, m.task?.node, m.task?.codeVersion]),
    );
    expect(lineage.chain.members.map((m) => m.task?.slurmJob)).toEqual([slurmJob, slurmJob]);
    await page.context().close();
  });
});
