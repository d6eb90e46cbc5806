import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { formatIssues } from '../config/issues.js';
import type { StageName } from '../config/schema.js';
import type { NocturneConfig, ResolvedTarget } from '../config/types.js';
import { closeDb, openDb } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { NocturneError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { installCatalogue } from '../stages/ingest/sets/catalogue.js';
import { executeStage } from '../stages/execute.js';
import type { Progress } from '../stages/types.js';
import { startEmbeddedFtp } from './embedded-ftp.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DemoOptions {
  /** The directory holding config/ and pipelines/ (the repository's examples). */
  configDir: string;
  /** Where the night's files live (outbox, jobs, archive): wiped at each start. Default: var/demo below configDir. */
  stateDir?: string;
  /** The night the bundled sample observations belong to. */
  date: string;
  logger: Logger;
  print: (line: string) => void;
  progress: (label: string) => Progress;
  /** Called with the running services when the night is done; the demo stops them when it resolves. */
  keep?: (config: NocturneConfig, reload: () => Promise<NocturneConfig>, result: DemoResult) => Promise<void>;
}

export interface DemoResult {
  totals: Record<StageName, Record<string, number>>;
  failures: string[];
  connection: string;
}

const PG_PORT = 54329;
const FTP_PORT = 2990;
const FTP_USER = 'demo';
// Not a secret: the embedded servers listen on loopback for the demo's lifetime only.
const FTP_PASSWORD = 'nocturne-demo';
const FTP_PASSWORD_ENV = 'NOCTURNE_DEMO_ARCHIVE_PASSWORD';
const STAGE_ORDER: StageName[] = ['run', 'upload', 'ingest'];

/**
 * One night through run → upload → ingest on embedded defaults: a real PostgreSQL from
 * an npm package, a real FTP server on loopback and the local executor. The pipelines
 * are the repository's own; only the database and the archive target are swapped for
 * the embedded ones. The state lives in stateDir, wiped at each start; the database
 * lives in a temporary directory of its own, removed when the demo ends.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const base = options.stateDir ?? path.join(options.configDir, 'var', 'demo');
  // Ctrl-C, from the first instant to the last, stops at the next safe point, and the
  // finally blocks stop the servers: the embedded PostgreSQL runs in a process group of
  // its own, which a terminal's Ctrl-C never reaches. A second Ctrl-C does not cut that short.
  const interrupt = new AbortController();
  const stop = () => {
    if (interrupt.signal.aborted) options.print("stopping the demo's servers...");
    interrupt.abort(new Error('interrupted'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const interrupted = () => {
    if (interrupt.signal.aborted) throw new NocturneError('ABORTED', 'demo interrupted');
  };
  const stops: Array<() => Promise<void>> = [];
  try {
    await rm(base, { recursive: true, force: true });
    const pg = await startEmbeddedPostgres(PG_PORT);
    stops.push(() => pg.stop());
    interrupted();
    const ftp = await startEmbeddedFtp({
      root: path.join(base, 'archive'),
      port: FTP_PORT,
      user: FTP_USER,
      password: FTP_PASSWORD,
    });
    stops.unshift(() => ftp.stop());
    interrupted();
    process.env[FTP_PASSWORD_ENV] = FTP_PASSWORD;
    process.env['NOCTURNE_DEMO_DB_PASSWORD'] = pg.password;
    const load = async () => demoConfig(await loadOrThrow(options.configDir), base, pg.url);
    const config = await load();
    options.print(`embedded PostgreSQL on 127.0.0.1:${PG_PORT}, FTP archive on 127.0.0.1:${FTP_PORT}`);

    const db = openDb({
      url: pg.url,
      password: pg.password,
      schema: config.daemon.database.schema,
      onIdleError: (err) => options.logger.warn({ err }, 'the demo database closed an idle connection'),
    });
    const result: DemoResult = {
      totals: { run: {}, upload: {}, ingest: {} },
      failures: [],
      connection: `postgres://postgres:${pg.password}@127.0.0.1:${PG_PORT}/nocturne`,
    };
    try {
      await migrate(db, config.daemon.database.schema);
      await installCatalogue(db, { schema: 'hfc', stateSchema: config.daemon.database.schema });
      for (const stage of STAGE_ORDER) {
        for (const pipeline of config.pipelines.keys()) {
          const label = `${pipeline}/${stage}`;
          const progress = options.progress(`${label}: `);
          interrupted();
          const done = await executeStage(
            { config, db, logger: options.logger, progress, print: options.print, signal: interrupt.signal },
            { pipeline, stage, slot: new Date(), trigger: 'manual', date: options.date },
          );
          if (done.kind === 'not-run') throw new NocturneError('INTERNAL', `${label}: ${done.reason}`);
          const { outcome } = done;
          options.print(`${label.padEnd(16)} ${outcome.ok ? 'ok    ' : 'FAILED'} ${outcome.summary}`);
          if (!outcome.ok) result.failures.push(`${label}: ${outcome.error?.message ?? outcome.summary}`);
          for (const [key, value] of Object.entries(outcome.stats)) {
            result.totals[stage][key] = (result.totals[stage][key] ?? 0) + value;
          }
        }
      }
    } finally {
      await closeDb(db);
    }
    if (options.keep) await options.keep(config, load, result);
    return result;
  } finally {
    for (const stopServer of stops) await stopServer();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function loadOrThrow(dir: string): Promise<NocturneConfig> {
  const loaded = await loadConfig(dir);
  if (!loaded.ok) throw new NocturneError('CONFIG_INVALID', formatIssues(loaded.issues));
  return loaded.config;
}

/** The example configuration with the embedded database and archive in place of the real ones. */
function demoConfig(config: NocturneConfig, base: string, url: string): NocturneConfig {
  const archive: ResolvedTarget = {
    type: 'ftp',
    host: '127.0.0.1',
    port: FTP_PORT,
    user: FTP_USER,
    password: { env: FTP_PASSWORD_ENV },
    insecure: true,
    connections: 4,
    timeoutMs: 30_000,
  };
  return {
    ...config,
    daemon: {
      ...config.daemon,
      database: { ...config.daemon.database, url, password: { env: 'NOCTURNE_DEMO_DB_PASSWORD' } },
      targets: { ...config.daemon.targets, archive },
      executor: { ...config.daemon.executor, type: 'local' },
    },
    paths: {
      state: base,
      outbox: path.join(base, 'outbox'),
      quarantine: path.join(base, 'quarantine'),
      logs: path.join(base, 'logs'),
      work: path.join(base, 'work'),
    },
  };
}
