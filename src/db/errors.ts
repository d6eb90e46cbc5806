/**
 * How every ledger of nocturne reads a database failure (the run history, the
 * scheduler's slots, the run stage's jobs, the upload's transfers, the ingest ledgers):
 * one rule, so that a lost connection means "try again later" in every stage alike.
 *
 * - out of reach (connection refused or lost, server shutting down, pool timeout):
 *   retryable; the work in hand stays pending for the next attempt;
 * - a transaction conflict (deadlock, serialization failure): retryable, but the
 *   database is fine: only the transaction that lost is tried again;
 * - the input refused (see failureOf(): data, integrity, a message the server could not
 *   read...): the input's fault, not retryable, set aside;
 * - anything else (disk full, read-only, a missing table or privilege): not retryable.
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

/**
 * What a failure to load one input says of it, which decides what becomes of it:
 * - `unavailable`: the database is out of reach (connection refused or lost, server
 *   shutting down, pool timeout). The input and those not started stay pending; the run stops.
 * - `transient`: the database cannot do it now, or is set up wrong: a deadlock, disk full,
 *   a cancel, a read-only server, a missing table, column or privilege (the SQLSTATE
 *   classes of NOT_THE_INPUT), a protocol violation (08P01: see PROTOCOL_VIOLATION); or a failure that is not the database's answer to the
 *   input (a transfer, the file system, the program). The input stays pending and is
 *   tried again next run; the others go on.
 * - `input`: the input itself: a located problem of its bytes (CSV_INVALID), or any
 *   other SQLSTATE, the database refusing what the input holds: data (22), integrity
 *   (23), cardinality (21), program limits (54, e.g. a value too large for an index), a
 *   trigger's RAISE (P0)... It is
 *   rejected and set aside, so that it cannot keep failing every run.
 */
export type Failure = 'unavailable' | 'transient' | 'input';

/** SQLSTATE classes that are not the input's fault (see Failure), and the states of an unreachable server. */
const NOT_THE_INPUT = new Set([
  '08',
  '0A',
  '0B',
  '0L',
  '0P',
  '24',
  '25',
  '26',
  '28',
  '2B',
  '2D',
  '34',
  '3B',
  '3D',
  '3F',
  '40',
  '42',
  '53',
  '55',
  '57',
  '58',
  '72',
  'F0',
  'HV',
  'XX',
]);
const UNREACHABLE = new Set(['57P01', '57P02', '57P03', '57P05']);
/**
 * The server could not read what it was sent: a text holding a NUL byte, which pg-promise
 * inlines into the query string (nocturne stores such text escaped: db/text.ts). Class 08,
 * but the connection is fine: not "unavailable". Nor the input's fault: a pooler
 * (PgBouncer) answers 08P01 for its own failures too (query_wait_timeout, no more
 * connections), which must not set good inputs aside.
 */
const PROTOCOL_VIOLATION = '08P01';

export function failureOf(err: unknown): Failure {
  const state = sqlState(err) ?? (err instanceof NocturneError ? sqlState(err.cause) : undefined);
  if (state !== undefined) {
    if (state === PROTOCOL_VIOLATION) return 'transient';
    if (state.startsWith('08') || UNREACHABLE.has(state)) return 'unavailable';
    return NOT_THE_INPUT.has(state.slice(0, 2)) ? 'transient' : 'input';
  }
  if (err instanceof NocturneError) {
    if (err.code === 'CSV_INVALID') return err.retryable ? 'transient' : 'input';
    return err.code === 'DB_FAILED' && err.retryable ? 'unavailable' : 'transient';
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unavailable';
  return LOST_CONNECTION.test(err instanceof Error ? err.message : '') ? 'unavailable' : 'transient';
}

/**
 * True when the database itself is out of reach (not the query's fault): the work in
 * hand stays pending and the next attempt does it. A transaction conflict is not: the
 * database answers, and the other work can go on.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return failureOf(err) === 'unavailable';
}

/** Deadlock or serialization failure: the transaction lost to another one; trying it again may succeed. */
export function isTransactionConflict(err: unknown): boolean {
  const state = sqlState(err) ?? (err instanceof NocturneError ? sqlState(err.cause) : undefined);
  return state === '40001' || state === '40P01';
}

/** A pg (or network) error as a NocturneError (DB_FAILED) naming what was being done, retryable by the rule above. */
export function databaseError(err: unknown, context: string): NocturneError {
  if (err instanceof NocturneError) return err;
  const unavailable = isDatabaseUnavailable(err);
  const text = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  const refused =
    state === PROTOCOL_VIOLATION
      ? ' (SQLSTATE 08P01: PostgreSQL could not read what nocturne sent, such as text holding a NUL byte: a fault of nocturne to report; not retried)'
      : '';
  return new NocturneError('DB_FAILED', `${context}: ${unavailable ? 'database unavailable: ' : ''}${text}${refused}`, {
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
  return answers
    ? err
    : new NocturneError('DB_FAILED', `${context}: database unavailable: ${err.message}`, { retryable: true, cause: err });
}
