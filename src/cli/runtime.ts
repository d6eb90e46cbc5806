import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { NocturneConfig } from '../config/types.js';
import { closeDb, openDbFromConfig, type Db } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { createLogger, type Logger } from '../log/logger.js';
import { fillObservingNights } from '../stages/nights-backfill.js';
import { formatIssues } from '../config/issues.js';
import { EXIT } from '../core/exit-codes.js';

export interface CliOptions {
  config?: string;
}

/** The directory holding config/ and pipelines/: --config, $NOCTURNE_CONFIG_DIR, or the current one. */
export function configDir(options: CliOptions, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(options.config ?? env['NOCTURNE_CONFIG_DIR'] ?? '.');
}

export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Loads and validates everything, or ends the command with every problem and exit 78. */
export async function loadOrExit(options: CliOptions): Promise<NocturneConfig> {
  const result = await loadConfig(configDir(options));
  if (!result.ok) throw new CliExit(EXIT.config, formatIssues(result.issues));
  return result.config;
}

/** Command-line tools log to stderr, so stdout stays for what the command prints. */
export function cliLogger(config?: NocturneConfig): Logger {
  const level = config?.daemon.log.level ?? 'info';
  return createLogger({ level, fd: 2 });
}

export async function withDb<T>(config: NocturneConfig, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDbFromConfig(config.daemon.database, 'nocturne-cli');
  try {
    await migrate(db, config.daemon.database.schema);
    await fillObservingNights(db, config.pipelines.values());
    return await work(db);
  } finally {
    await closeDb(db);
  }
}

/** Runs `work` with a signal that SIGINT and SIGTERM abort: a stage stops cleanly, as in the daemon. */
export async function untilSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted by signal'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
