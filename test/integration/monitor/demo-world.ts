/**
 * A demo night (runDemo: embedded PostgreSQL, FTP archive, the repository's three
 * pipelines over the bundled night) in a private copy of the repository, with the real
 * daemon started in this process on a free port, and Debian's Chromium driven by
 * playwright-core. For the monitor's browser tests.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
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
/** Screenshots of each view, shown by the README. */
export const SCREENSHOTS = path.join(REPO, 'docs/img');

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
  let release: () => void = () => undefined;
  const kept = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<NocturneConfig>((resolve, reject) => {
    runDemo({
      configDir: checkout.dir,
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
  const listening = (listen: string): NocturneConfig => ({ ...demoConfig, daemon: { ...demoConfig.daemon, http: { ...demoConfig.daemon.http, listen } } });
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
      await writeFile(file, Object.entries(fields).map(([k, v]) => `${k}=${v}\n`).join(''));
      return file;
    },
    async close() {
      await browser.close();
      await closeDb(db);
      await world.daemon.stop('tests done');
      release();
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
    // An event stream is cut when the page is left: not a failure of the page.
    if (!request.url().endsWith('/api/events')) problems.push(`request failed: ${request.url()}`);
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
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

