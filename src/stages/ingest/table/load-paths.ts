import { NocturneError } from '../../../core/errors.js';
import { CopyWriter } from './copy-writer.js';
import { failureOf, sqlState } from '../../../db/errors.js';
import { InlineRows, type RowArena } from './inline-rows.js';
import type { BadRow } from '../common/issues.js';
import type { Connection } from '../common/connection.js';
import type { LoadCounts } from './ledger.js';
import type { FileToLoad, LoaderContext } from './load-contract.js';
import { LineMap, parsePass, type PassInput, type PassResult } from './parse-pass.js';
import type { RowIssue } from '../common/issues.js';
import { names, qualifiedName } from './sql-names.js';
import { findDuplicates, stageTableSql, STAGING_TABLE, upsertFromStaging } from './staging.js';

// The three ways a file's rows reach the target, tried in loadFile's order: inline
// INSERT (small files), direct COPY, staging table. Each returns the rows' outcome or
// throws; none commits.

export type DataOutcome =
  { kind: 'loaded'; counts: LoadCounts; quarantined: BadRow[] } | { kind: 'rejected'; rows: number; issues: RowIssue[]; more: number };

/** The direct COPY's outcome: or a natural key already present, for the staging path. */
export type DirectOutcome = DataOutcome | { kind: 'conflict' };

export type Rejected = Extract<DataOutcome, { kind: 'rejected' }>;

/** The rows of a small in-memory file, kept to be sent later (see InlineRows), with the table columns they fill. */
export type InlineOutcome =
  Rejected | { kind: 'loaded'; counts: LoadCounts; quarantined: BadRow[]; rows: InlineRows; columns: readonly string[] };

/**
 * Parses the file into rows kept in memory (no database work yet), appended to the
 * arena `arenaFor` gives for its columns; a conflict shows only when they are sent.
 * Whatever the outcome but 'loaded', the file's rows are taken back out of the arena.
 */
export async function inlineLoad(
  ctx: LoaderContext,
  file: FileToLoad,
  fileId: number,
  arenaFor: (columns: readonly string[]) => RowArena,
): Promise<InlineOutcome> {
  let rows: InlineRows | undefined;
  let columns: readonly string[] = [];
  const lines = new LineMap();
  try {
    const pass = await parsePass({
      ...passInput(ctx, file, lines),
      suffix: { kind: 'constant', text: String(fileId) },
      openSink: (mapped) => {
        columns = [...mapped, 'ingested_file_id'];
        rows = new InlineRows(arenaFor(columns));
        return rows;
      },
    });
    checkHash(pass, file);
    if (pass.refused) {
      await rows?.abort();
      return refusal(pass);
    }
    const counts = { rows: pass.rows, inserted: pass.copied, updated: 0, conflicting: 0, quarantined: pass.quarantined.length };
    // parsePass opens its sink before it returns.
    return { kind: 'loaded', counts, quarantined: pass.quarantined, rows: rows!, columns };
  } catch (err) {
    await rows?.abort();
    return rejectionOf(err, lines);
  }
}

export async function directLoad(conn: Connection, ctx: LoaderContext, file: FileToLoad, fileId: number): Promise<DirectOutcome> {
  const table = qualifiedName(ctx.stage.table);
  const lines = new LineMap();
  // Binary COPY when every mapped column's type has a plain binary form (see binary-rows.ts), else text.
  const types = await ctx.targetTypes();
  try {
    const pass = await parsePass({
      ...passInput(ctx, file, lines),
      suffix: { kind: 'constant', text: String(fileId) },
      binary: { types, fileId },
      openSink: (columns, binary) =>
        new CopyWriter(
          conn.client,
          `COPY ${table} (${names([...columns, 'ingested_file_id'])}) FROM STDIN${binary ? ' (FORMAT binary)' : ''}`,
        ),
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

export async function stagedLoad(conn: Connection, ctx: LoaderContext, file: FileToLoad, fileId: number): Promise<DataOutcome> {
  const { stage } = ctx;
  const lines = new LineMap();
  try {
    await conn.none(stageTableSql(stage));
    const pass = await parsePass({
      ...passInput(ctx, file, lines),
      suffix: { kind: 'line' },
      openSink: (columns) => new CopyWriter(conn.client, `COPY ${STAGING_TABLE} (${names([...columns, 'line'])}) FROM STDIN`),
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

function passInput(ctx: LoaderContext, file: FileToLoad, lines: LineMap): Omit<PassInput, 'suffix' | 'openSink'> {
  return { body: file.body, label: file.entry.path, stage: ctx.stage, lines, ...(ctx.onRows ? { onRows: ctx.onRows } : {}) };
}

function refusal(pass: Pick<PassResult, 'rows' | 'issues' | 'badRows'>): Rejected {
  return { kind: 'rejected', rows: pass.rows, issues: pass.issues, more: pass.badRows - pass.issues.length };
}

function checkHash(pass: PassResult, file: FileToLoad): void {
  if (pass.sha256 !== null && pass.sha256 !== file.entry.sha256) {
    throw new NocturneError('CSV_INVALID', `${file.entry.path}: the file changed while it was being read; it stays pending`, {
      retryable: true,
    });
  }
}

/**
 * A failure that is the file's (see failureOf(): CSV_INVALID from the reader, or the
 * database refusing a value, e.g. a CHECK constraint or an index row too large) becomes a
 * rejection, located through the line map when the error names a COPY line; anything
 * else is rethrown and leaves the file pending.
 */
function rejectionOf(err: unknown, lines: LineMap): Rejected {
  if (failureOf(err) !== 'input') throw err;
  if (err instanceof NocturneError) {
    const details = err.details as { line?: number; column?: string; reason?: string } | undefined;
    const issue: RowIssue = { line: details?.line ?? 0, reason: details?.reason ?? err.message };
    if (details?.column !== undefined) issue.column = details.column;
    return { kind: 'rejected', rows: 0, issues: [issue], more: 0 };
  }
  // A trigger's error names its own lines first: only the COPY's line is the file's.
  const where = /COPY [^,]+, line (\d+)(?:, column (\w+))?/.exec((err as { where?: string }).where ?? '');
  const issue: RowIssue = { line: lines.line(Number(where?.[1])) ?? 0, reason: `refused by PostgreSQL: ${(err as Error).message}` };
  if (where?.[2]) issue.column = where[2];
  return { kind: 'rejected', rows: 0, issues: [issue], more: 0 };
}
