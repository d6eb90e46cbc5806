import type { IDatabase, IMain } from 'pg-promise';
import type { IConnectionParameters } from 'pg-promise/typescript/pg-subset.js';
import { resolveSecret } from '../config/secrets.js';
import type { DaemonConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { withDeadline } from '../core/abort.js';
import pgPromise from './pg-promise.js';

export type Db = IDatabase<unknown>;

/**
 * One pg-promise root for the whole process (pg-promise warns about duplicates), and
 * one Db per (url, schema). Every connection of a Db has search_path set to the state
 * schema, so state SQL is written unqualified and tests can use a schema of their own.
 */
export const pgp: IMain = pgPromise({ capSQL: true });

export interface DbOptions {
  url: string;
  password?: string;
  schema: string;
  poolSize?: number;
  applicationName?: string;
  /**
   * Told when the server closes an idle pooled connection (a restart, an admin's
   * pg_terminate_backend). The pool has already dropped it; the next query opens another.
   * @default a process warning
   */
  onIdleError?: (err: Error) => void;
}

export function openDb(options: DbOptions): Db {
  // `options` reaches the server as startup parameters; pg supports it, pg-promise's types omit it.
  const connection: IConnectionParameters & { options: string } = {
    connectionString: withPassword(options.url, options.password),
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'nocturne',
    options: `-c search_path=${options.schema},public`,
    // A dead server must not hang a stage: fail fast, the next run tries again.
    connectionTimeoutMillis: 10_000,
  };
  const db = pgp(connection);
  // pg-pool re-emits an idle client's error on the pool, and an 'error' event nobody
  // listens to kills the process. pg-promise's own listener goes as soon as the pool
  // starts ending, before its clients' sockets have closed: a server stopped right after
  // closeDb() (the demo's) would crash the process. This one stays.
  const onIdleError = options.onIdleError ?? ((err: Error) => process.emitWarning(`idle database connection closed: ${err.message}`));
  db.$pool.on('error', onIdleError);
  return db;
}

export async function openDbFromConfig(database: DaemonConfig['database'], applicationName?: string, logger?: Logger): Promise<Db> {
  const password = database.password ? await resolveSecret(database.password) : undefined;
  return openDb({
    url: database.url,
    schema: database.schema,
    poolSize: database.poolSize,
    ...(password === undefined ? {} : { password }),
    ...(applicationName === undefined ? {} : { applicationName }),
    ...(logger === undefined
      ? {}
      : { onIdleError: (err: Error) => logger.warn({ err }, 'the database closed an idle connection; the next query opens another') }),
  });
}

/** Rejects unless the database answers within `ms`: a server that hangs must not hang its caller. */
export async function pingDb(db: Db, ms: number, what: string): Promise<void> {
  await withDeadline(db.one('SELECT 1 AS ok'), ms, what);
}

/** Closes the pool of one Db (not the others of the process). */
export async function closeDb(db: Db): Promise<void> {
  await db.$pool.end();
}

/** pg lets a connection string override a separate `password`, so the secret goes into the URL. */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}
