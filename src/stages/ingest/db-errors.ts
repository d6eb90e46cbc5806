import { NocturneError } from '../../core/errors.js';
import { pingDb, type Db } from '../../db/database.js';

/** SQLSTATE of a pg error, when it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

// What pg and pg-pool say when the connection is gone or cannot be made.
const LOST_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when the database itself is out of reach (not the query's fault): connection
 * refused or lost, server shutting down, pool timeout. The files in hand stay pending
 * and the next run loads them.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof NocturneError) return err.code === 'DB_FAILED' && err.retryable;
  const state = sqlState(err);
  if (state) return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return LOST_CONNECTION.test(message);
}

/** A pg (or network) error as a NocturneError naming what was being done. */
export function databaseError(err: unknown, context: string): NocturneError {
  if (err instanceof NocturneError) return err;
  const unavailable = isDatabaseUnavailable(err);
  const text = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  return new NocturneError('DB_FAILED', `${context}: ${unavailable ? 'database unavailable: ' : ''}${text}`, {
    retryable: unavailable || state === '40001' || state === '40P01',
    cause: err,
    ...(state ? { details: { sqlstate: state } } : {}),
  });
}

/**
 * `err` as "database unavailable" when the database no longer answers. A load cut off by
 * a server stop may fail with a bare stream error (no SQLSTATE, no network code); its
 * file must then stay pending with the others, not be counted as failed.
 */
export async function unlessUnreachable(db: Db, err: NocturneError, context: string): Promise<NocturneError> {
  if (isDatabaseUnavailable(err) || sqlState(err.cause) !== undefined) return err;
  const answers = await pingDb(db, 3_000, `${context}: database ping`).then(
    () => true,
    () => false,
  );
  return answers ? err : new NocturneError('DB_FAILED', `${context}: database unavailable: ${err.message}`, { retryable: true, cause: err });
}
