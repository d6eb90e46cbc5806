import { pgp } from '../../../db/database.js';
import { isDatabaseUnavailable } from '../../../db/errors.js';
import { rollback } from '../common/rollback.js';
import { claimBatch, loadsSql, quarantineSql, rejectedSql, type LoadCounts } from './ledger.js';
import type { FileToLoad, LoaderContext, LoadResult } from './load-contract.js';
import { onConnection, rejection } from './load-file.js';
import { inlineLoad } from './load-paths.js';
import { CopyWriter } from './copy-writer.js';
import type { Connection } from '../common/connection.js';
import { giveBack, takeArena, type RowArena } from './inline-rows.js';
import { names, qualifiedName } from './sql-names.js';

/** What a batch settled, by file (in the order given), and the files left to load alone. */
export interface BatchOutcome {
  settled: { file: FileToLoad; result: LoadResult }[];
  alone: FileToLoad[];
}

/**
 * Loads small new files (in memory) in ONE transaction: one statement claims them all
 * (advisory lock and ledger row, as claimFile() does one), one COPY carries the rows of
 * every file (one per column order, should the files' headers differ), then one message
 * carries every file's ledger update (loaded, or rejected with its report) and the
 * COMMIT. A file's rows and its ledger row still commit
 * together, so exactly-once holds; a crash loses the whole batch, which the next run
 * loads again. What the batch does not claim (busy, already in the ledger, a content
 * twice) is left to load alone afterwards, as is every file of a batch the database
 * refuses (a key already present, a value, a deadlock): PostgreSQL does not say which
 * statement of a message failed, so the batch is rolled back whole and each file then
 * finds its own way (staging table, rejection, pending) as it does alone. A batch's
 * rejections are committed durably, before their files are set aside.
 */
export async function loadBatch(ctx: LoaderContext, files: readonly FileToLoad[]): Promise<BatchOutcome> {
  const label = `${files[0]?.entry.path ?? 'batch'} and ${files.length - 1} more files`;
  const seen = new Set<string>();
  const batch: FileToLoad[] = [];
  const alone: FileToLoad[] = [];
  for (const file of files) {
    if (seen.has(file.entry.sha256)) alone.push(file);
    else {
      seen.add(file.entry.sha256);
      batch.push(file);
    }
  }
  return onConnection(ctx, label, async (conn, discard) => {
    const claimed = await claimBatch(
      conn,
      batch.map((f) => f.entry),
    );
    const statements: string[] = [];
    // One arena per column order (the files' headers may differ): each becomes one COPY.
    const copies = new Map<string, { columns: readonly string[]; arena: RowArena }>();
    const arenaFor = (columns: readonly string[]): RowArena => {
      const order = columns.join('\t');
      return (copies.get(order) ?? copies.set(order, { columns, arena: takeArena() }).get(order)!).arena;
    };
    const settled: BatchOutcome['settled'] = [];
    const loads: { fileId: number; counts: LoadCounts }[] = [];
    let durable = false;
    for (const file of batch) {
      const fileId = claimed.get(file.entry.sha256);
      if (fileId === undefined) {
        alone.push(file);
        continue;
      }
      const outcome = await inlineLoad(ctx, file, fileId, arenaFor).catch(() => undefined);
      if (outcome === undefined) {
        // Not the file's fault, or not yet known to be (e.g. changed while read): alone,
        // it meets the same failure and is handled as any file. Its claim is withdrawn.
        statements.push(pgp.as.format('DELETE FROM ingested_files WHERE id = $1', [fileId]));
        alone.push(file);
      } else if (outcome.kind === 'rejected') {
        const { error, report } = rejection(file.entry.path, outcome);
        statements.push(rejectedSql(fileId, outcome.rows, error, report));
        settled.push({ file, result: { kind: 'rejected', fileId, rows: outcome.rows, error, issues: outcome.issues, more: outcome.more } });
        durable = true;
      } else {
        const quarantine = quarantineSql(fileId, outcome.quarantined);
        if (quarantine !== null) statements.push(quarantine);
        loads.push({ fileId, counts: outcome.counts });
        settled.push({ file, result: { kind: 'loaded', fileId, counts: outcome.counts } });
      }
    }
    if (loads.length > 0) statements.push(loadsSql(loads));
    // Durable before the caller moves a rejected file out of the source directory.
    if (durable) statements.push('SET LOCAL synchronous_commit = on');
    try {
      const table = qualifiedName(ctx.stage.table);
      for (const { columns, arena } of copies.values()) await copyRows(conn, `COPY ${table} (${names(columns)}) FROM STDIN`, arena);
      await conn.none([...statements, 'COMMIT'].join(';\n'));
      for (const { arena } of copies.values()) giveBack(arena);
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      if (!(await rollback(conn, ctx.logger, label))) discard();
      ctx.logger.debug({ err, files: settled.length }, 'batch refused by the database; its files are loaded one by one');
      return { settled: [], alone: [...settled.map((s) => s.file), ...alone] };
    }
    return { settled, alone };
  });
}

/** The rows are sent in socket writes of about this many bytes (see CopyWriter). */
const WRITE_BYTES = 256 * 1024;

/**
 * One COPY of the rows of many files, in slices of the arena that holds them. A slice may
 * end inside a row, even inside a character: COPY data is one stream to the server,
 * whatever its messages.
 */
async function copyRows(conn: Connection, sql: string, arena: RowArena): Promise<void> {
  if (arena.length === 0) return;
  const writer = new CopyWriter(conn.client, sql);
  for (let at = 0; at < arena.length; at += WRITE_BYTES) await writer.write(arena.bytes(at, Math.min(at + WRITE_BYTES, arena.length)));
  await writer.finish();
}
