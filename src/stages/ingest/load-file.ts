import { coerceError, NocturneError } from '../../core/errors.js';
import type { IngestStageConfig } from '../../config/schema.js';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import { CopyWriter } from './copy-writer.js';
import { databaseError, sqlState } from './db-errors.js';
import { locate, type BadRow } from './issues.js';
import { claimFile, commitLoaded, commitRejected, type Connection, type LedgerEntry, type LoadCounts } from './ledger.js';
import { LineMap, parsePass, type PassResult } from './parse-pass.js';
import type { RowIssue } from './row-encoder.js';
import { names, qualifiedName } from './sql-names.js';
import { findDuplicates, stageTableSql, STAGING_TABLE, upsertFromStaging } from './staging.js';

export interface FileToLoad {
  entry: LedgerEntry;
  /** Where the bytes are (a download in paths.work for remote files). */
  localPath: string;
  /**
   * Go straight to the staging table: the file probably overlaps rows already loaded
   * (an earlier version of the same path was loaded), so the direct COPY would fail.
   */
  preferStaging: boolean;
}

export interface LoaderContext {
  db: Db;
  stage: IngestStageConfig;
  logger: Logger;
  onRows?(rows: number): void;
}

export type LoadResult =
  | { kind: 'busy' }
  | { kind: 'done'; rejected: { error: string; issues: unknown[] } | null }
  | { kind: 'loaded'; fileId: number; counts: LoadCounts }
  | { kind: 'rejected'; fileId: number; rows: number; error: string; issues: RowIssue[]; more: number };

type DataOutcome =
  | { kind: 'loaded'; counts: LoadCounts; quarantined: BadRow[] }
  | { kind: 'rejected'; rows: number; issues: RowIssue[]; more: number }
  | { kind: 'conflict' };

/**
 * Loads one file in one transaction on one pooled connection: claim (advisory lock +
 * ledger row), rows, ledger update, commit. Fast path: COPY straight into the target
 * under a savepoint (a new file's rows are all new). If a natural key already exists
 * the savepoint is rolled back and the file goes through a TEMP staging table and
 * INSERT ... ON CONFLICT, which also finds keys repeated within the file. Any failure
 * rolls the whole transaction back and returns the connection (destroyed if it cannot
 * even roll back), so the file stays pending.
 */
export async function loadFile(ctx: LoaderContext, file: FileToLoad): Promise<LoadResult> {
  const label = file.entry.path;
  const conn = await ctx.db.connect().catch((err: unknown) => {
    throw databaseError(err, `${label}: connecting to the database`);
  });
  let destroy = false;
  try {
    const claim = await claimFile(conn, file.entry);
    if (claim.kind !== 'claimed') return claim;
    const { fileId } = claim;
    let outcome: DataOutcome = file.preferStaging ? { kind: 'conflict' } : await directLoad(conn, ctx, file, fileId);
    if (outcome.kind === 'conflict') {
      if (!file.preferStaging) await conn.none('ROLLBACK TO SAVEPOINT data');
      outcome = await stagedLoad(conn, ctx, file, fileId);
    }
    if (outcome.kind === 'conflict') throw new NocturneError('INTERNAL', `${label}: staging load reported a conflict`);
    if (outcome.kind === 'loaded') {
      await commitLoaded(conn, fileId, outcome.counts, outcome.quarantined);
      return { kind: 'loaded', fileId, counts: outcome.counts };
    }
    const [first] = outcome.issues;
    const error = first ? locate(label, first) : `${label}: rejected`;
    await commitRejected(conn, fileId, outcome.rows, error, { issues: outcome.issues, truncated: outcome.more > 0 });
    return { kind: 'rejected', fileId, rows: outcome.rows, error, issues: outcome.issues, more: outcome.more };
  } catch (err) {
    destroy = !(await rollback(conn, ctx.logger, label));
    throw err instanceof NocturneError ? err : databaseError(err, label);
  } finally {
    await conn.done(destroy);
  }
}

async function rollback(conn: Connection, logger: Logger, label: string): Promise<boolean> {
  try {
    await conn.none('ROLLBACK');
    return true;
  } catch (err) {
    logger.warn({ err: coerceError(err), file: label }, 'rollback failed; discarding the connection');
    return false;
  }
}

async function directLoad(conn: Connection, ctx: LoaderContext, file: FileToLoad, fileId: number): Promise<DataOutcome> {
  const table = qualifiedName(ctx.stage.table);
  const lines = new LineMap();
  try {
    const pass = await parsePass({
      localPath: file.localPath,
      label: file.entry.path,
      stage: ctx.stage,
      suffix: { kind: 'constant', text: String(fileId) },
      lines,
      openCopy: (columns) =>
        new CopyWriter(conn.client, `COPY ${table} (${names([...columns, 'ingested_file_id'])}) FROM STDIN`),
      ...(ctx.onRows ? { onRows: ctx.onRows } : {}),
    });
    checkHash(pass, file);
    if (pass.refused) return refusal(pass);
    const counts = { rows: pass.rows, inserted: pass.copied, updated: 0, conflicting: 0, quarantined: pass.quarantined.length };
    return { kind: 'loaded', counts, quarantined: pass.quarantined };
  } catch (err) {
    if (sqlState(err) === '23505') return { kind: 'conflict' };
    return rejectionOf(err, lines);
  }
}

async function stagedLoad(conn: Connection, ctx: LoaderContext, file: FileToLoad, fileId: number): Promise<DataOutcome> {
  const { stage } = ctx;
  const lines = new LineMap();
  try {
    await conn.none(stageTableSql(stage));
    const pass = await parsePass({
      localPath: file.localPath,
      label: file.entry.path,
      stage,
      suffix: { kind: 'line' },
      lines,
      openCopy: (columns) => new CopyWriter(conn.client, `COPY ${STAGING_TABLE} (${names([...columns, 'line'])}) FROM STDIN`),
      ...(ctx.onRows ? { onRows: ctx.onRows } : {}),
    });
    checkHash(pass, file);
    if (pass.refused) return refusal(pass);
    const duplicates = await findDuplicates(conn, stage, file, pass);
    if (duplicates.refused) return refusal({ ...pass, issues: duplicates.issues, badRows: duplicates.badRows });
    const written = await upsertFromStaging(conn, stage, fileId);
    const stored = pass.copied - duplicates.quarantined.length;
    const counts = {
      rows: pass.rows,
      inserted: written.inserted,
      updated: written.updated,
      conflicting: stored - written.inserted,
      quarantined: pass.quarantined.length + duplicates.quarantined.length,
    };
    return { kind: 'loaded', counts, quarantined: [...pass.quarantined, ...duplicates.quarantined] };
  } catch (err) {
    return rejectionOf(err, lines);
  }
}

function refusal(pass: Pick<PassResult, 'rows' | 'issues' | 'badRows'>): DataOutcome {
  return { kind: 'rejected', rows: pass.rows, issues: pass.issues, more: pass.badRows - pass.issues.length };
}

function checkHash(pass: PassResult, file: FileToLoad): void {
  if (pass.sha256 !== file.entry.sha256) {
    throw new NocturneError('CSV_INVALID', `${file.entry.path}: the file changed while it was being read; it stays pending`, {
      retryable: true,
    });
  }
}

/**
 * A bad file (CSV_INVALID from the reader, or a data error PostgreSQL raised for a
 * value the target refuses, e.g. a CHECK constraint) becomes a rejection, located
 * through the line map; anything else is rethrown and leaves the file pending.
 */
function rejectionOf(err: unknown, lines: LineMap): DataOutcome {
  if (err instanceof NocturneError) {
    const details = err.details as { line?: number; column?: string; reason?: string } | undefined;
    if (err.code !== 'CSV_INVALID' || err.retryable || details?.line === undefined) throw err;
    const issue: RowIssue = { line: details.line, reason: details.reason ?? err.message };
    if (details.column !== undefined) issue.column = details.column;
    return { kind: 'rejected', rows: 0, issues: [issue], more: 0 };
  }
  const state = sqlState(err);
  if (!state || !(state.startsWith('22') || state.startsWith('23'))) throw err;
  const where = /line (\d+)(?:, column (\w+))?/.exec((err as { where?: string }).where ?? '');
  const issue: RowIssue = { line: lines.line(Number(where?.[1])) ?? 0, reason: `refused by PostgreSQL: ${(err as Error).message}` };
  if (where?.[2]) issue.column = where[2];
  return { kind: 'rejected', rows: 0, issues: [issue], more: 0 };
}
