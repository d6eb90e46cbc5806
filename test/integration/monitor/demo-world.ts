/**
 * A demo night (runDemo: embedded PostgreSQL, FTP archive, the repository's three
 * pipelines over the bundled night) in a private copy of the repository, with the real
 * daemon started in this process on a free port, and Debian's Chromium driven by
 * playwright-core. For the monitor's browser tests.
 */
import { access, mkdir, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import type { NocturneConfig } from '../../../src/config/types.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { connectState } from '../../../src/daemon/state-store.js';
import { closeDb, openDbFromConfig, type Db } from '../../../src/db/database.js';
import { runDemo } from '../../../src/demo/demo.js';
import { createLogger } from '../../../src/log/logger.js';
import { executeStage, type ExecuteRequest, type ExecuteResult } from '../../../src/stages/execute.js';
import type { StageName } from '../../../src/stages/types.js';
import { privateCheckout, type PrivateCheckout } from '../demo/private-checkout.js';

export const REPO = path.resolve(import.meta.dirname, '../../..');
const DEMO_NIGHT = '2026-11-21';

/**
 * Screenshots of each view, shown by the README, are taken when NOCTURNE_SCREENSHOTS=1
 * asks (README, "The web monitor"): they show the times and ids of the run that took
 * them, so taking them at every test run would change docs/img/ every time.
 */
const SCREENSHOTS = process.env['NOCTURNE_SCREENSHOTS'] === '1' ? path.join(REPO, 'docs/img') : null;

/** Saves docs/img/monitor-<name>.png, when screenshots are asked for. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `monitor-${name}.png`), fullPage: true });
}

/** A name the pages show: `own` (unique to this run), or `shown` when screenshots are taken. */
export function shownName(own: string, shown: string): string {
  return SCREENSHOTS ? shown : own;
}

export interface ShownPlace {
  /** The directory to give the world: `dir`, or its fixed name. */
  dir: string;
  remove(): Promise<void>;
}

/**
 * A world's directory under the name its pages show. When screenshots are taken it is
 * /tmp/<name>, a symbolic link to `dir`: the pictures then show the same paths on every
 * machine, not those of a temporary directory. A link whose directory still exists is
 * another screenshot run's: that is an error, not a reason to take it over.
 */
export async function shownPlace(dir: string, name: string): Promise<ShownPlace> {
  if (!SCREENSHOTS) return { dir, remove: async () => undefined };
  const link = path.join('/tmp', name);
  const taken = await readlink(link).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err.code === 'EINVAL' ? new Error(`${link} exists and is not a symbolic link: screenshots need that name`) : err;
  });
  if (taken !== null) {
    if (
      await access(taken).then(
        () => true,
        () => false,
      )
    ) {
      throw new Error(`${link} is in use by another screenshot run (it leads to ${taken}): wait for it to end, or remove the link`);
    }
    await rm(link);
  }
  await symlink(dir, link);
  return { dir: link, remove: () => rm(link, { force: true }) };
}

export interface DemoMonitor {
  checkout: PrivateCheckout;
  config: NocturneConfig;
  daemon: Daemon;
  db: Db;
  /** http://127.0.0.1:<port> */
  base: string;
  browser: Browser;
  /** Runs a stage as the daemon's scheduler would, its events going to the daemon's feed. */
  execute(pipeline: string, stage: StageName, date: string): Promise<ExecuteResult>;
  /** Stops the daemon and starts a new one on the same address (world.daemon is then the new one). */
  restart(): Promise<void>;
  /** Writes an observation file of `pipeline` for `date` (the run stage's input). */
  observation(pipeline: string, date: string, name: string, fields: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

const logger = createLogger({ level: 'fatal', pretty: false });

export async function startDemoMonitor(): Promise<DemoMonitor> {
  const checkout = await privateCheckout(REPO);
  const shown = await shownPlace(checkout.dir, 'nocturne');
  let release: () => void = () => undefined;
  const kept = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<NocturneConfig>((resolve, reject) => {
    runDemo({
      configDir: shown.dir,
      date: DEMO_NIGHT,
      logger,
      print: () => undefined,
      progress: () => ({ update() {}, done() {} }),
      keep: async (config) => {
        resolve(config);
        await kept;
      },
    }).then(() => reject(new Error('the demo ended before the tests')), reject);
  });
  const demoConfig = await started;
  // The daemon on a free port: the demo's own 9464 may be taken by another checkout's demo.
  const listening = (listen: string): NocturneConfig => ({
    ...demoConfig,
    daemon: { ...demoConfig.daemon, http: { ...demoConfig.daemon.http, listen } },
  });
  const config = listening('127.0.0.1:0');
  const startDaemon = async (at: NocturneConfig) => {
    const started = new Daemon({
      config: at,
      logger,
      version: 'test',
      load: async () => ({ ok: true, config: at }),
      connect: (c) => connectState(c, logger),
      // The tests run every stage themselves (execute below): a slot of the real schedules
      // coming due meanwhile (ingest every 15 minutes) must not run one behind their back.
      execute: async () => ({ kind: 'not-run', reason: 'the browser tests run the stages' }),
    });
    await started.start();
    return started;
  };
  const daemon = await startDaemon(config);
  const db = await openDbFromConfig(config.daemon.database, 'monitor-test', logger);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const world: DemoMonitor = {
    checkout,
    config,
    daemon,
    db,
    base: `http://${daemon.httpAddress}`,
    browser,
    execute: (pipeline, stage, date) => {
      const request: ExecuteRequest = { pipeline, stage, slot: new Date(), trigger: 'manual', date };
      return executeStage({ config, db, logger, events: (event) => world.daemon.feed.publish(event) }, request);
    },
    async restart() {
      const address = world.daemon.httpAddress!;
      await world.daemon.stop('restart');
      world.daemon = await startDaemon(listening(address));
    },
    async observation(pipeline, date, name, fields) {
      const [yyyy, mm, dd] = date.split('-');
      const dir = path.join(checkout.dir, 'examples/observations', pipeline, yyyy!, mm!, dd!);
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, name);
      await writeFile(
        file,
        Object.entries(fields)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      return file;
    },
    async close() {
      await browser.close();
      await closeDb(db);
      await world.daemon.stop('tests done');
      release();
      await shown.remove();
      await checkout.remove();
    },
  };
  return world;
}

/** A page that records every console error, uncaught exception, failed request and dialog. */
export async function watchedPage(browser: Browser, colorScheme: 'dark' | 'light' = 'dark'): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // An event stream is cut when the page is left, and Chromium drops a favicon fetch, or
    // live.js's refresh of the page (an event came just before), still under way when the
    // page it was for is replaced: none is a failure of the page. live.js aborts nothing itself.
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
    const left =
      request.url().endsWith('/api/events') ||
      (aborted && (request.url().endsWith('/assets/icon.svg') || request.resourceType() === 'fetch'));
    if (!left) problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'no reason given'})`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, problems };
}

/** The archive's files of a pipeline, for copying a real set. */
export async function archived(monitor: DemoMonitor, pipeline: string): Promise<string[]> {
  const dir = path.join(monitor.checkout.dir, 'var/demo/archive/hfc', pipeline);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
