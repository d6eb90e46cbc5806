import { pgp } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import { failureOf, isDatabaseUnavailable } from '../../../db/errors.js';
import type { Session } from '../common/connection.js';
import { rollback } from '../common/rollback.js';
import { insertEntry, setLockKeys, type SetEntry } from './set-ledger.js';

export type Opened =
  | { kind: 'busy' }
  /** This very content is already recorded (loaded, refused or rejected; a replaced one may come back). */
  | { kind: 'done' }
  | { kind: 'open'; live: { id: string } | undefined; results: unknown[][] };

interface LedgerRow {
  id: string;
  status: string;
  content_sha256: string;
}

/**
 * The opening of a set's transaction, alone or in a group (see SetGroups). Like the file
 * ledger, the commit does not wait for the WAL flush: a server crash may forget the last
 * loads whole (rows and ledger row together), and the next run loads them again from
 * their files.
 */
export const OPENING: readonly string[] = ['BEGIN', 'SET LOCAL synchronous_commit = off'];

/**
 * Opens a set's transaction in one round trip: the set's advisory lock (another process
 * loading the same set, or another version of it → busy), then, in a statement of its own
 * so that it sees what a previous holder of the lock committed, the set's ledger rows (the
 * live load of any version, and records of this very content); `statements`
 * (metadata resolution, feature look-ups) run too, their rows coming back in `results`.
 * A rejection of this content that the run retries (entry.retrying) does not count as done.
 * On 'open' the transaction stays open: commitRows() or roll it back.
 */
export async function openSet(conn: Session, entry: SetEntry, statements: readonly string[]): Promise<Opened> {
  const [space, key] = setLockKeys(entry);
  const results = await conn.multi(
    [
      ...OPENING,
      pgp.as.format('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [space, key]),
      pgp.as.format(
        `SELECT id, status, content_sha256 FROM ingested_sets
          WHERE source = $1 AND ((reemission_key = $5 AND status = 'loaded')
             OR (set_key = $2 AND content_sha256 = $3 AND status NOT IN ('waiting', 'replaced') AND NOT incomplete
                 AND NOT ($4 AND status = 'rejected')))`,
        [entry.source, entry.setKey, entry.contentSha256, entry.retrying, entry.reemissionKey],
      ),
      ...statements,
    ].join(';\n'),
  );
  const locked = (results[2]?.[0] as { locked?: boolean } | undefined)?.locked === true;
  const ledger = (results[3] ?? []) as LedgerRow[];
  if (!locked || ledger.some((row) => row.content_sha256 === entry.contentSha256)) {
    await conn.none('ROLLBACK');
    return { kind: locked ? 'done' : 'busy' };
  }
  const live = ledger.find((row) => row.status === 'loaded');
  return { kind: 'open', live: live && { id: live.id }, results: results.slice(4) };
}

/**
 * Sends a set's one-message load: `statements` (its lock first) in a transaction of
 * their own, committed. Resolves to undefined once committed, or to the database's
 * refusal once rolled back; throws when the database is unavailable or the connection
 * cannot even roll back.
 */
export async function oneMessage(conn: Session, statements: readonly string[], logger: Logger, label: string): Promise<Error | undefined> {
  try {
    await conn.none([...OPENING, ...statements, 'COMMIT'].join(';\n'));
    return undefined;
  } catch (err) {
    if (isDatabaseUnavailable(err) || !(await rollback(conn, logger, label))) throw err;
    return err as Error;
  }
}

/**
 * The first statement of a set's one-message load, when the ledger (read at the start
 * of the run) knows no earlier load of it: the set's lock taken, or the statement
 * fails (division by zero: another process has the set); a load committed by another
 * process meanwhile makes the ledger INSERT fail on its unique keys. See
 * fastPathRefusal().
 */
export function fastLock(entry: SetEntry): string {
  return pgp.as.format('SELECT 1 / pg_try_advisory_xact_lock($1, $2)::int', setLockKeys(entry));
}

/**
 * What a refused one-message load means: busy, done, a live load appeared (take the long
 * way), bad data, or another failure of the database (not the set's fault).
 */
export function fastPathRefusal(err: Error): 'busy' | 'done' | 'live' | 'data' | 'other' {
  const { code, constraint } = err as { code?: string; constraint?: string };
  if (code === '22012') return 'busy';
  if (code === '23505' && constraint === LEDGER_CONTENT_KEY) return 'done';
  if (code === '23505' && constraint === LEDGER_LIVE_KEY) return 'live';
  return failureOf(err) === 'input' ? 'data' : 'other';
}

/** Names of the ledger's unique keys (sql/state/0005_ingest_sets.sql). */
const LEDGER_CONTENT_KEY = 'ingested_sets_content';
const LEDGER_LIVE_KEY = 'ingested_sets_live';

/** Records the re-emitted content as refused (reemitted: keep), and commits. */
export async function commitRefused(conn: Session, entry: SetEntry, liveId: string): Promise<string> {
  const error = `${entry.setKey}: re-emitted with other content; reemitted: keep keeps load ${liveId}`;
  await conn.none(`${insertEntry(entry, 'refused', { error })};\nCOMMIT`);
  return error;
}

/**
 * The statements that retire the live load `oldId` in favour of `loadId` (before and
 * after the new ledger row is inserted: one live row per set key at any time).
 */
export function replaceLedger(oldId: string, loadId: string): { before: string; after: string } {
  return {
    before: pgp.as.format(`UPDATE ingested_sets SET status = 'replaced' WHERE id = $1`, [oldId]),
    // replaced_at is the replacing load's finished_at, to the microsecond.
    after: pgp.as.format(
      `UPDATE ingested_sets SET replaced_by = $2, replaced_at = (SELECT finished_at FROM ingested_sets WHERE id = $2) WHERE id = $1`,
      [oldId, loadId],
    ),
  };
}

/**
 * Sends the set's rows with its ledger row and the COMMIT in one message; resolves to
 * each statement's rows (in `statements` order). A refusal of what the set holds (see
 * failureOf()) is returned, with the transaction rolled back; any other failure is
 * thrown (the set stays pending).
 */
export async function commitRows(
  conn: Session,
  statements: readonly string[],
  logger: Logger,
  label: string,
): Promise<{ refused: Error } | { results: unknown[][] }> {
  try {
    return { results: await conn.multi([...statements, 'COMMIT'].join(';\n')) };
  } catch (err) {
    if (failureOf(err) !== 'input') throw err;
    if (!(await rollback(conn, logger, label))) throw err;
    return { refused: err as Error };
  }
}
