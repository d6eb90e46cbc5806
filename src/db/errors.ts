/**
 * How every ledger of nocturne reads a database failure (the run history, the
 * scheduler's slots, the run stage's jobs, the upload's transfers, the ingest ledgers):
 * one rule, so that a lost connection means "try again later" in every stage alike.
 *
 * - out of reach (connection refused or lost, server shutting down, pool timeout):
 *   retryable; the work in hand stays pending for the next attempt;
 * - a transaction conflict (deadlock, serialization failure): retryable, but the
 *   database is fine: only the transaction that lost is tried again;
 * - the data refused (SQLSTATE classes 22 and 23): the input's fault, not retryable;
 * - anything else (disk full, read-only, a bug in a query): not retryable.
 */
import { NocturneError } from '../core/errors.js';
import { pingDb, type Db } from './database.js';

/** SQLSTATE of a pg error, when it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

// What pg and pg-pool say when the connection is gone or cannot be made.
const LOST_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Deadlock or serialization failure: the transaction lost to another one; trying it again may succeed. */
export function isTransactionConflict(err: unknown): boolean {
  const state = sqlState(err instanceof NocturneError ? err.cause : err);
  return state === '40001' || state === '40P01';
}

/**
 * True when the database itself is out of reach (not the query's fault): connection
 * refused or lost, server shutting down, pool timeout. A transaction conflict is not:
 * the database answers, and the other work can go on.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof NocturneError) return err.code === 'DB_FAILED' && err.retryable && !isTransactionConflict(err);
  const state = sqlState(err);
  if (state) return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return LOST_CONNECTION.test(message);
}

/**
 * Whether the database refused the rows themselves: SQLSTATE class 22 (data exception)
 * or 23 (integrity constraint). Anything else (deadlock, serialization failure, disk
 * full, cancel, read-only...) is not the data's fault: the work stays pending.
 */
export function refusedData(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

/** A pg (or network) error as a NocturneError (DB_FAILED) naming what was being done, retryable by the rule above. */
export function databaseError(err: unknown, context: string): NocturneError {
  if (err instanceof NocturneError) return err;
  const unavailable = isDatabaseUnavailable(err);
  const text = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  return new NocturneError('DB_FAILED', `${context}: ${unavailable ? 'database unavailable: ' : ''}${text}`, {
    retryable: unavailable || isTransactionConflict(err),
    cause: err,
    ...(state ? { details: { sqlstate: state } } : {}),
  });
}

/** `work`, with anything it throws turned into databaseError(err, context). */
export async function inDatabase<T>(context: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseError(err, context);
  }
}

/**
 * `err` as "database unavailable" when the database no longer answers. A load cut off by
 * a server stop may fail with a bare stream error (no SQLSTATE, no network code); its
 * work must then stay pending with the rest, not be counted as failed.
 */
export async function unlessUnreachable(db: Db, err: NocturneError, context: string): Promise<NocturneError> {
  if (isDatabaseUnavailable(err) || sqlState(err.cause) !== undefined) return err;
  const answers = await pingDb(db, 3_000, `${context}: database ping`).then(
    () => true,
    () => false,
  );
  return answers ? err : new NocturneError('DB_FAILED', `${context}: database unavailable: ${err.message}`, { retryable: true, cause: err });
}
