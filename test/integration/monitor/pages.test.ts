import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archived, screenshot, startDemoMonitor, watchedPage, type DemoMonitor } from './demo-world.js';
import { localDate } from '../../../src/stages/nights.js';
import { openApiProblems } from './openapi-check.js';

const PIPELINES = ['rabat3', 'sdoss', 'spoca-ar'];
const STAGES = ['run', 'upload', 'ingest'];
const HOSTILE_OBS = '<img src=x onerror=alert(1)>';
const HOSTILE_FIELD = '<script>alert(2)</script>';
/** Nights of the tests' own runs, apart from the demo's and from each other (the run stage looks back a day). */
const LIVE_NIGHT = '2026-11-23';
const HOSTILE_NIGHT = '2026-11-26';

let world: DemoMonitor;
beforeAll(async () => {
  world = await startDemoMonitor();
}, 180_000);
afterAll(async () => world?.close(), 60_000);

async function open(page: Page, url: string): Promise<void> {
  const answer = await page.goto(`${world.base}${url}`);
  expect(answer?.status(), url).toBe(200);
  const headers = answer!.headers();
  expect(headers['content-security-policy'], url).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
  expect(headers['x-content-type-options'], url).toBe('nosniff');
}

/** A GET with a Host header of our choosing (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

/**
 * Reads /api/events as a browser would. The server subscribes the client before it sends
 * the stream's first line, so events pushed once that line is read are all seen.
 */
async function eventStream(url: string): Promise<{ events: Record<string, unknown>[]; stop(): Record<string, unknown>[] }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const events: Record<string, unknown>[] = [];
  let text = '';
  let opened = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      opened ||= text.includes(': connected');
      const messages = text.split('\n\n');
      text = messages.pop()!;
      for (const m of messages) {
        for (const line of m.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
      }
    }
  })().catch(() => undefined);
  await expect.poll(() => opened).toBe(true);
  return {
    events,
    stop() {
      controller.abort();
      void reading;
      return events;
    },
  };
}

describe('the web monitor in Chromium, after a demo night', () => {
  it('lists the three pipelines on the overview with their outcomes, even before its script runs', async () => {
    const { page, problems } = await watchedPage(world.browser);
    await open(page, '/');
    for (const pipeline of PIPELINES) {
      for (const stage of STAGES) {
        const last = page.locator(`tr[data-pipeline="${pipeline}"][data-stage="${stage}"] td.last`);
        await expect.poll(() => last.textContent()).toMatch(/✓ ok manual/);
      }
    }
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    expect(problems).toEqual([]);
    // A page of another site whose name was pointed at 127.0.0.1 (DNS rebinding) gets nothing.
    expect(await getWithHost(`${world.base}/api/overview`, 'rebind.evil.example')).toBe(421);
    expect(await getWithHost(`${world.base}/api/overview`, world.daemon.httpAddress!)).toBe(200);

    const noScript = await world.browser.newContext({ javaScriptEnabled: false });
    const bare = await noScript.newPage();
    await bare.goto(`${world.base}/`);
    expect(await bare.locator('tr[data-stage="ingest"] td.last .o-succeeded').count()).toBe(3);
    await noScript.close();
    await page.context().close();
  });

  it('turns a run started while the page is open from running to succeeded without a reload', async () => {
    const { page, problems } = await watchedPage(world.browser);
    await open(page, '/');
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    // The stream is open on the server's side too before anything is pushed.
    await expect.poll(() => world.daemon.feed.watchers).toBeGreaterThan(0);
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await world.observation('sdoss', LIVE_NIGHT, 'hmi_slow.obs', {
      instrument: 'HMI',
      date_obs: `${LIVE_NIGHT}T01:00:45`,
      seed: '7',
      sleep: '3',
    });

    const run = world.execute('sdoss', 'run', LIVE_NIGHT);
    const now = page.locator('tr[data-pipeline="sdoss"][data-stage="run"] td.now');
    await expect.poll(() => now.textContent(), { timeout: 20_000 }).toMatch(/◐ running/);
    await screenshot(page, 'overview-running');
    const done = await run;
    expect(done.kind === 'done' && done.outcome.ok).toBe(true);
    const runId = done.kind === 'done' ? done.runId : 0;
    const last = page.locator('tr[data-pipeline="sdoss"][data-stage="run"] td.last');
    await expect.poll(() => last.locator(`a[href="/runs/${runId}"]`).textContent(), { timeout: 20_000 }).toMatch(/✓ ok/);
    await expect.poll(() => now.textContent()).toMatch(/idle/);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a truncated quicklook on /quarantine with its reason and a thumbnail made safely', async () => {
    const quicklook = (await archived(world, 'sdoss')).find((f) => f.endsWith('.jpg'))!;
    const bytes = await readFile(quicklook);
    const outbox = path.join(world.config.paths.outbox, 'sdoss');
    await mkdir(outbox, { recursive: true });
    await writeFile(path.join(outbox, 'sdoss_106_20261123T010045_hmi-truncated.jpg'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const upload = await world.execute('sdoss', 'upload', LIVE_NIGHT);
    expect(upload.kind === 'done' && upload.outcome.stats['quarantined']).toBe(1);

    const { page, problems } = await watchedPage(world.browser);
    await open(page, '/quarantine?pipeline=sdoss');
    const row = page.locator('tr.q-quicklook', { hasText: 'hmi-truncated.jpg' });
    await expect(row.count()).resolves.toBe(1);
    expect(await row.locator('td.reason').textContent()).toMatch(/cannot be decoded/);
    expect(await row.textContent()).toMatch(/quarantine/);
    const thumbnail = row.locator('img.thumb');
    await expect
      .poll(() =>
        thumbnail.evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth,
        ),
      )
      .toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("renders hostile names as text and runs no script of theirs; streams the runs' events", async () => {
    const stream = await eventStream(`${world.base}/api/events`);
    await world.observation('sdoss', HOSTILE_NIGHT, `${HOSTILE_OBS}.obs`, {
      instrument: 'HMI',
      date_obs: `${HOSTILE_NIGHT}T01:00:45`,
      seed: '9',
      exit: '3',
    });
    const run = await world.execute('sdoss', 'run', HOSTILE_NIGHT);
    expect(run.kind === 'done' && run.outcome.stats['failed']).toBe(1);
    // A real file set of the demo, renamed to a new observation, one field of its features replaced.
    const files = await archived(world, 'sdoss');
    const feat = files.find((f) => f.endsWith('_feat.csv'))!;
    const init = feat.replace(/_feat\.csv$/, '_init.csv');
    const key = 'sdoss_106_20261126T000045_hmi-hostile';
    const outbox = path.join(world.config.paths.outbox, 'sdoss');
    await copyFile(init, path.join(outbox, `${key}_init.csv`));
    const lines = (await readFile(feat, 'utf8')).split('\n');
    const fields = lines[1]!.split(';');
    fields[4] = HOSTILE_FIELD;
    lines[1] = fields.join(';');
    await writeFile(path.join(outbox, `${key}_feat.csv`), lines.join('\n'));
    expect((await world.execute('sdoss', 'upload', HOSTILE_NIGHT)).kind).toBe('done');
    const ingest = await world.execute('sdoss', 'ingest', HOSTILE_NIGHT);
    expect(ingest.kind === 'done' && ingest.outcome.stats['rejected']).toBe(1);
    const runIds = [run, ingest].map((r) => (r.kind === 'done' ? r.runId : 0));
    await expect.poll(() => stream.events.filter((e) => e['type'] === 'run-finished').length).toBe(3);
    const events = stream.stop();
    expect(events.filter((e) => e['type'] === 'run-started').map((e) => e['stage'])).toEqual(['run', 'upload', 'ingest']);
    expect(events.filter((e) => e['type'] === 'run-finished').map((e) => e['state'])).toEqual(['failed', 'succeeded', 'succeeded']);
    expect(
      events
        .filter((e) => e['type'] === 'file')
        .map((e) => path.basename(String(e['path'])))
        .sort(),
    ).toEqual([`${key}_feat.csv`, `${key}_init.csv`]);
    // Processed (its rejection is in the ledger, which the page reads when the event comes).
    expect(events.filter((e) => e['type'] === 'set' && e['key'] === key)).toEqual([
      { type: 'set', key, runId: runIds[1], pipeline: 'sdoss', stage: 'ingest' },
    ]);
    expect(events.some((e) => e['type'] === 'progress' && e['runId'] === runIds[0])).toBe(true);

    const { page, problems } = await watchedPage(world.browser);
    // An observation belongs to its night; a manual run's items to the night it was asked in
    // (runs keep no --date): its slot's date in the pipeline's zone, not that of a later Date
    // (the next day for a test run across midnight in Paris).
    const { slot } = await world.db.one<{ slot: Date }>('SELECT slot FROM runs WHERE id = $1', [runIds[1]]);
    const asked = localDate(slot, 'Europe/Paris');
    const expected: [string, string[]][] = [
      ['/quarantine?pipeline=sdoss', [HOSTILE_OBS, HOSTILE_FIELD]],
      [`/quarantine?night=${HOSTILE_NIGHT}`, [HOSTILE_OBS]],
      [`/quarantine?night=${asked}`, [HOSTILE_FIELD]],
      [`/runs/${runIds[0]}`, [HOSTILE_OBS]],
      [`/runs/${runIds[1]}`, [HOSTILE_FIELD]],
      ['/', []],
    ];
    for (const [url, shown] of expected) {
      await open(page, url);
      const text = (await page.locator('main').textContent()) ?? '';
      for (const name of shown) expect(text, url).toContain(name);
      // Nothing of theirs became markup: no image from the name, no script beside our own.
      expect(await page.locator('img[src="x"]').count(), url).toBe(0);
      expect(await Promise.all((await page.locator('script').all()).map((s) => s.getAttribute('src'))), url).toEqual(['/assets/live.js']);
    }
    await open(page, `/runs/${runIds[1]}`);
    expect(await page.locator('.issues').textContent()).toContain(HOSTILE_FIELD);
    await screenshot(page, 'run-rejected-set');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows every view without a console error, each within 150 KB compressed, its API answer as described', async () => {
    const loadId = await world.db.one<{ id: string }>(`SELECT min(load_id) AS id FROM hfc.sunspots`);
    const runId = await world.db.one<{ id: string }>(`SELECT min(id) AS id FROM runs WHERE pipeline = 'sdoss' AND stage = 'run'`);
    const today = localDate(new Date(), 'Europe/Paris');
    const views: [string, string, string][] = [
      ['overview', '/', '/api/overview'],
      ['nights', '/nights', '/api/nights'],
      ['night', `/nights/${today}`, `/api/nights/${today}`],
      ['run', `/runs/${runId.id}`, `/api/runs/${runId.id}`],
      ['quarantine', '/quarantine', '/api/quarantine'],
      ['quicklooks', `/quicklooks?night=${today}`, `/api/quicklooks?night=${today}`],
      ['lineage', `/lineage?load=${loadId.id}`, `/api/lineage?load=${loadId.id}`],
    ];
    // Where the demo's tasks ran (the local executor: this host) and the code version their jobs ran.
    const all = (texts: string[], check: (text: string) => boolean) => texts.length > 0 && texts.every(check);
    const shows: Record<string, (page: Page) => Promise<boolean>> = {
      run: async (page) =>
        all(await page.locator('section table tbody tr td:nth-of-type(4)').allTextContents(), (node) => node === hostname()),
      lineage: async (page) =>
        all(
          await page.locator('td.task').allTextContents(),
          (task) => task.includes(` task 0 on ${hostname()}`) && task.includes('code version 1.06'),
        ),
    };
    const weights: Record<string, number> = {};
    for (const [name, url, api] of views) {
      const { page, problems } = await watchedPage(world.browser);
      const bodies: Buffer[] = [];
      page.on('response', async (response) => {
        if (!response.url().endsWith('/api/events')) bodies.push(await response.body().catch(() => Buffer.alloc(0)));
      });
      await open(page, url);
      await page.waitForLoadState('networkidle');
      weights[name] = bodies.reduce((sum, b) => sum + gzipSync(b).length, 0);
      expect(weights[name], name).toBeLessThanOrEqual(150 * 1024);
      await screenshot(page, name);
      if (name in shows) expect(await shows[name]!(page), name).toBe(true);
      expect(problems, name).toEqual([]);
      const answer = await fetch(`${world.base}${api}`);
      expect(openApiProblems('get', api, answer.status, await answer.json()), api).toEqual([]);
      await page.context().close();
    }
    console.log(`page weight, gzip (bytes): ${JSON.stringify(weights)}`);
  });

  it('says the page is not current when a refresh is refused (503 while the database is down, 401), and live again once one succeeds', async () => {
    const { page } = await watchedPage(world.browser);
    await open(page, '/');
    const indicator = page.locator('#live');
    await expect.poll(() => indicator.textContent()).toBe('live');
    const refused = (route: { fulfill(answer: { status: number; contentType: string; body: string }): Promise<void> }) =>
      route.fulfill({ status: 503, contentType: 'text/html', body: '<main>not available</main>' });
    await page.route(`${world.base}/`, refused);
    world.daemon.feed.publish({ type: 'runs-changed' });
    await expect.poll(() => indicator.textContent(), { timeout: 10_000 }).toMatch(/^not current: the daemon answered 503\b/);
    expect(await indicator.getAttribute('data-state')).toBe('stale');
    await page.unroute(`${world.base}/`, refused);
    world.daemon.feed.publish({ type: 'runs-changed' });
    await expect.poll(() => indicator.textContent(), { timeout: 10_000 }).toBe('live');
    await page.context().close();
  });

  it('reconnects by itself after a daemon restart, and catches up with what it missed', async () => {
    const { page } = await watchedPage(world.browser);
    await open(page, '/');
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    const refreshed = async () => Number((await page.locator('body').getAttribute('data-refreshed')) ?? 0);
    const before = await refreshed();
    await world.daemon.stop('restart');
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 20_000 }).toBe('reconnecting…');
    await world.restart();
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 20_000 }).toBe('live');
    await expect.poll(refreshed, { timeout: 20_000 }).toBeGreaterThan(before);
    await page.context().close();
  });

  it('can be used from the keyboard, with text at WCAG AA contrast in both colour schemes', async () => {
    // Dark unless the reader's system asks for light (browsers report no preference as light).
    for (const [scheme, dark] of [
      ['dark', true],
      ['light', false],
    ] as const) {
      const context = await world.browser.newContext({ colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(`${world.base}/`);
      const background = await page
        .locator('body')
        .evaluate(
          (body) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor,
        );
      const [r = 0, g = 0, b = 0] = (background.match(/\d+/g) ?? []).map(Number);
      expect(r + g + b < 150, `${scheme}: ${background}`).toBe(dark);
      await context.close();
    }
    for (const scheme of ['dark', 'light'] as const) {
      const { page, problems } = await watchedPage(world.browser, scheme);
      await open(page, '/');
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent,
        ),
      ).toBe('Skip to content');
      await page.keyboard.press('Enter');
      expect(
        await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id),
      ).toBe('main');
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { document: { activeElement: { tagName: string } } }).document.activeElement.tagName,
        ),
      ).toBe('A');
      for (const url of ['/', '/nights', '/quarantine', `/runs/${await lastRun('sdoss', 'run')}`]) {
        await open(page, url);
        const low = await page.locator('main, header, footer').evaluateAll(contrastProblems);
        expect(low, `${scheme} ${url}`).toEqual([]);
      }
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });
});

async function lastRun(pipeline: string, stage: string): Promise<number> {
  return Number(
    (await world.db.one<{ id: string }>('SELECT max(id) AS id FROM runs WHERE pipeline = $1 AND stage = $2', [pipeline, stage])).id,
  );
}

/**
 * In the page: every element that holds text directly, whose contrast with the background
 * behind it is under 4.5:1 (WCAG 2 AA for normal text). Runs in the browser.
 */
function contrastProblems(roots: unknown[]): string[] {
  type El = {
    tagName: string;
    className: string;
    textContent: string | null;
    parentElement: El | null;
    childNodes: { nodeType: number; textContent: string | null }[];
    querySelectorAll(s: string): El[];
  };
  const view = globalThis as unknown as {
    getComputedStyle(e: El): { color: string; backgroundColor: string; visibility: string; display: string };
  };
  const rgb = (text: string) => (text.match(/[\d.]+/g) ?? []).map(Number);
  const luminance = ([r = 0, g = 0, b = 0]: number[]) =>
    [r, g, b]
      .map((c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
      .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i]!, 0);
  const background = (element: El | null): number[] => {
    for (let e = element; e; e = e.parentElement) {
      const [r, g, b, a = 1] = rgb(view.getComputedStyle(e).backgroundColor);
      if (a > 0) return [r!, g!, b!];
    }
    return [255, 255, 255];
  };
  const problems: string[] = [];
  for (const root of roots as El[]) {
    for (const element of [root, ...root.querySelectorAll('*')]) {
      const ownText = Array.from(element.childNodes).some((n) => n.nodeType === 3 && (n.textContent ?? '').trim() !== '');
      const style = view.getComputedStyle(element);
      if (!ownText || style.visibility === 'hidden' || style.display === 'none' || element.className.includes('vh')) continue;
      const [l1, l2] = [luminance(rgb(style.color)), luminance(background(element))];
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      if (ratio < 4.5) {
        problems.push(`${element.tagName}.${element.className} "${(element.textContent ?? '').trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
      }
    }
  }
  return problems;
}
