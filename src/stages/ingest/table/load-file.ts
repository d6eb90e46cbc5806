import { NocturneError } from '../../../core/errors.js';
import { databaseError, failureOf, isDatabaseUnavailable, sqlState } from '../../../db/errors.js';
import { locate } from '../common/issues.js';
import type { Connection } from '../common/connection.js';
import { claimFile, commitLoaded, commitRejected, type LedgerEntry, type RejectionReport } from './ledger.js';
import type { FileToLoad, LoaderContext, LoadResult } from './load-contract.js';
import { rollback } from '../common/rollback.js';
import { qualifiedName } from './sql-names.js';
import { directLoad, inlineLoad, stagedLoad, type DirectOutcome, type InlineOutcome, type Rejected } from './load-paths.js';
import { giveBack, takeArena } from './inline-rows.js';

/**
 * Loads one file in one transaction on one pooled connection: claim (advisory lock +
 * ledger row), rows, ledger update, commit. A new file's rows are all new, so they go
 * straight into the target under a savepoint: a small file as one INSERT sent with the
 * COMMIT, a larger one by COPY. If a natural key already exists the savepoint is rolled
 * back and the file goes through a TEMP staging table and INSERT ... ON CONFLICT, which
 * also finds keys repeated within the file. Any failure rolls the whole transaction
 * back and returns the connection (destroyed if it cannot even roll back), so the file
 * stays pending.
 */
export async function loadFile(ctx: LoaderContext, file: FileToLoad): Promise<LoadResult> {
  const label = file.entry.path;
  return onConnection(ctx, label, async (conn) => {
    const claim = await claimFile(conn, file.entry);
    if (claim.kind !== 'claimed') return claim;
    const { fileId } = claim;
    let staging = file.preferStaging;
    if (!staging && 'bytes' in file.body && file.body.bytes.length <= INLINE_BYTES) {
      // The rows become the text of an INSERT; the arena is free again once it is made.
      const arena = takeArena();
      let inline: InlineOutcome;
      let rowsSql: string | null = null;
      try {
        inline = await inlineLoad(ctx, file, fileId, () => arena);
        if (inline.kind === 'loaded') rowsSql = inline.rows.insertSql(qualifiedName(ctx.stage.table), inline.columns);
      } finally {
        giveBack(arena);
      }
      if (inline.kind === 'rejected') return await reject(conn, label, fileId, inline);
      try {
        await commitLoaded(conn, fileId, inline.counts, inline.quarantined, rowsSql);
        return { kind: 'loaded', fileId, counts: inline.counts };
      } catch (err) {
        // Refused by the database: roll back and let COPY locate the problem, or the
        // staging path deal with keys already present.
        if (isDatabaseUnavailable(err) || !(await rollbackTo(conn))) throw err;
        staging = sqlState(err) === '23505';
      }
    }
    const direct: DirectOutcome = staging ? { kind: 'conflict' } : await directLoad(conn, ctx, file, fileId);
    if (direct.kind === 'conflict' && !staging) await conn.none('ROLLBACK TO SAVEPOINT data');
    const outcome = direct.kind === 'conflict' ? await stagedLoad(conn, ctx, file, fileId) : direct;
    if (outcome.kind === 'rejected') return await reject(conn, label, fileId, outcome);
    await commitLoaded(conn, fileId, outcome.counts, outcome.quarantined, null);
    return { kind: 'loaded', fileId, counts: outcome.counts };
  });
}

/**
 * Runs `work` on a pooled connection and gives the connection back. Should it throw, the
 * transaction is rolled back (the connection discarded if even that fails, or if `work`
 * says so) and the error thrown as a NocturneError naming `label`.
 */
export async function onConnection<T>(
  ctx: LoaderContext,
  label: string,
  work: (conn: Connection, discard: () => void) => Promise<T>,
): Promise<T> {
  const conn = await ctx.db.connect().catch((err: unknown) => {
    throw databaseError(err, `${label}: connecting to the database`);
  });
  let destroy = false;
  try {
    return await work(conn, () => (destroy = true));
  } catch (err) {
    destroy = !(await rollback(conn, ctx.logger, label)) || destroy;
    if (err instanceof NocturneError) throw err;
    throw databaseError(err, failureOf(err) === 'input' ? `${label}: refused by PostgreSQL` : label);
  } finally {
    await conn.done(destroy);
  }
}

/**
 * Records as rejected, in a transaction of its own, a file whose load failed for a reason
 * of its own once its transaction was lost (refused at COMMIT, or its rejection report
 * refused): claimed again, nothing of it loaded, `error` as the reason. The ledger then
 * holds it, so that it is not tried again every run.
 */
export async function rejectFailed(ctx: LoaderContext, entry: LedgerEntry, error: string): Promise<LoadResult> {
  const conn = await ctx.db.connect().catch((err: unknown) => {
    throw databaseError(err, `${entry.path}: connecting to the database`);
  });
  let destroy = false;
  try {
    const claim = await claimFile(conn, entry);
    if (claim.kind !== 'claimed') return claim;
    await commitRejected(conn, claim.fileId, 0, error, { issues: [], truncated: false });
    return { kind: 'rejected', fileId: claim.fileId, rows: 0, error, issues: [], more: 0 };
  } catch (err) {
    destroy = !(await rollback(conn, ctx.logger, entry.path));
    throw err instanceof NocturneError ? err : databaseError(err, entry.path);
  } finally {
    await conn.done(destroy);
  }
}

/** In-memory files up to this size are loaded with one INSERT sent with the COMMIT (see InlineRows). */
export const INLINE_BYTES = 256 * 1024;

async function reject(conn: Connection, label: string, fileId: number, outcome: Rejected): Promise<LoadResult> {
  const { error, report } = rejection(label, outcome);
  try {
    await commitRejected(conn, fileId, outcome.rows, error, report);
  } catch (err) {
    if (failureOf(err) !== 'input') throw err;
    // The report itself refused: the file is still rejected, with its first error (see rejectFailed()).
    throw new NocturneError('DB_FAILED', `${error} (PostgreSQL refused the report of its rejection: ${(err as Error).message})`, {
      cause: err,
    });
  }
  return { kind: 'rejected', fileId, rows: outcome.rows, error, issues: outcome.issues, more: outcome.more };
}

/** A rejected file's reason (its first issue, located) and the report the ledger keeps. */
export function rejection(label: string, outcome: Rejected): { error: string; report: RejectionReport } {
  const [first] = outcome.issues;
  return {
    error: first ? locate(label, first) : `${label}: rejected`,
    report: { issues: outcome.issues, truncated: outcome.more > 0 },
  };
}

/** Back to the savepoint after a refused statement; false when the transaction itself is gone. */
async function rollbackTo(conn: Connection): Promise<boolean> {
  return conn.none('ROLLBACK TO SAVEPOINT data').then(
    () => true,
    () => false,
  );
}
