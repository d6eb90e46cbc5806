/**
 * The monitor's campaign view in Chromium, on the real daemon process: each campaign of
 * /api/campaigns with its nights and observations done, its state and its driver, the
 * same numbers on the page as in the JSON, and a campaign's error shown as text.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignView } from '../../../src/campaigns/describe.js';
import { CampaignStore, campaignLedger } from '../../../src/campaigns/store.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { DaemonProcess, freePort, ingestPipeline, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { watchedPage } from './demo-world.js';
import { openApiProblems } from './openapi-check.js';

const HOSTILE_ERROR = '<img src=x onerror=alert(1)>';

let t: TestDb;
let dir: string;
let daemon: DaemonProcess;
let browser: Browser;
let base: string;
let running: number;
let failed: number;

/** A campaign of a pipeline this daemon does not configure, so that no driver of its own takes it. */
async function campaign(from: string, to: string): Promise<number> {
  const c = await new CampaignStore(t.db).create({
    pipeline: 'sdoss',
    from,
    to,
    stages: ['run', 'upload', 'ingest'],
    batchNights: 2,
    maxRunning: 8,
    nice: 100,
    qos: null,
    codeVersion: '1.0.6',
    createdBy: 'ops@hal',
  });
  return c.id;
}

/** `n` observations of the campaign's ledger in `state`. */
async function observations(id: number, state: string, n: number): Promise<void> {
  await t.db.none(
    `INSERT INTO observations (pipeline, input, obs, night, state)
     SELECT $1, '/obs/' || $2 || '-' || i || '.obs', $2 || '-' || i, '2025-01-01', $2 FROM generate_series(1, $3) AS i`,
    [campaignLedger('sdoss', id), state, n],
  );
}

beforeAll(async () => {
  t = await createTestDb('monitor_campaigns');
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-monitor-campaigns-'));
  await mkdir(path.join(dir, 'csv'));
  // Ten nights, four of them done; 12 observations so far, 7 ended; driven by a live process.
  running = await campaign('2025-01-01', '2025-01-10');
  await t.db.none(
    `UPDATE campaigns SET next_night = '2025-01-05', holder_host = 'vm-7', holder_ns = 'x', holder_pid = 4242, heartbeat_at = now() WHERE id = $1`,
    [running],
  );
  for (const [state, n] of [
    ['done', 6],
    ['failed', 1],
    ['active', 2],
    ['pending', 3],
  ] as const) {
    await observations(running, state, n);
  }
  failed = await campaign('2024-06-01', '2024-06-30');
  await t.db.none(`UPDATE campaigns SET state = 'failed', error = $2 WHERE id = $1`, [failed, HOSTILE_ERROR]);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await writeDaemonConfig(dir, {
    pgUrl: t.url,
    schema: t.schema,
    port,
    pipelines: { eit: ingestPipeline('eit', '0 0 1 1 *', path.join(dir, 'csv')) },
  });
  daemon = new DaemonProcess(dir);
  await daemon.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  daemon?.kill('SIGTERM');
  await daemon?.exited;
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the campaign view of the monitor, in Chromium', () => {
  it('shows each campaign of /api/campaigns with its progress, state and driver', async () => {
    const api = (await (await fetch(`${base}/api/campaigns`)).json()) as CampaignView[];
    expect(openApiProblems('get', '/api/campaigns', 200, api)).toEqual([]);
    expect(api.map((c) => c.id)).toEqual([failed, running]);

    const { page, problems } = await watchedPage(browser);
    const answer = await page.goto(`${base}/campaigns`);
    expect(answer?.status()).toBe(200);
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Campaigns');
    expect(await page.locator('link[rel="alternate"]').getAttribute('href')).toBe('/api/campaigns');

    // Every number of the JSON is on the page, in the row of its campaign.
    for (const c of api) {
      const row = page.locator(`tr[data-campaign="${c.id}"]`);
      const nights = row.locator('td.nights progress');
      expect([await nights.getAttribute('value'), await nights.getAttribute('max')]).toEqual([String(c.nightsDone), String(c.nights)]);
      const o = c.observations;
      expect(await row.locator('td.observations').textContent()).toContain(
        `${o.done + o.failed}/${o.done + o.failed + o.active + o.pending} observations`,
      );
      expect(await row.locator('td.observations .detail').textContent()).toBe(
        `${o.done} done, ${o.failed} failed, ${o.active} in SLURM, ${o.pending} waiting`,
      );
      expect(await row.locator('td.state').textContent()).toContain(c.state);
    }
    const live = page.locator(`tr[data-campaign="${running}"]`);
    expect(await live.locator('td.nights').textContent()).toContain('4/10 nights');
    expect(await live.locator('td.observations').textContent()).toContain('7/12 observations');
    expect(await live.locator('td.driver').textContent()).toContain('pid 4242 on vm-7');
    // The error is text, never markup: no image, no dialog (problems).
    const broken = page.locator(`tr[data-campaign="${failed}"]`);
    expect(await broken.locator('td.state .detail').textContent()).toBe(HOSTILE_ERROR);
    expect(await broken.locator('img').count()).toBe(0);
    expect(await broken.locator('td.nights').textContent()).toContain('0/30 nights');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
