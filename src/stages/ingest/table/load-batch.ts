import { pgp } from '../../../db/database.js';
import { isDatabaseUnavailable } from '../../../db/errors.js';
import { rollback } from '../common/rollback.js';
import { claimBatch, loadsSql, quarantineSql, rejectedSql, type LoadCounts } from './ledger.js';
import type { FileToLoad, LoaderContext, LoadResult } from './load-contract.js';
import { onConnection, rejection } from './load-file.js';
import { inlineLoad } from './load-paths.js';
import { CopyWriter } from './copy-writer.js';
import type { Connection } from '../common/connection.js';
import type { InlineRows } from './inline-rows.js';
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
    const copies = new Map<string, { columns: readonly string[]; rows: InlineRows[] }>();
    const settled: BatchOutcome['settled'] = [];
    const loads: { fileId: number; counts: LoadCounts }[] = [];
    let durable = false;
    for (const file of batch) {
      const fileId = claimed.get(file.entry.sha256);
      if (fileId === undefined) {
        alone.push(file);
        continue;
      }
      const outcome = await inlineLoad(ctx, file, fileId).catch(() => undefined);
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
        const order = outcome.columns.join('\t');
        const copy = copies.get(order) ?? copies.set(order, { columns: outcome.columns, rows: [] }).get(order)!;
        copy.rows.push(outcome.rows);
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
      for (const { columns, rows } of copies.values()) await copyRows(conn, `COPY ${table} (${names(columns)}) FROM STDIN`, rows);
      await conn.none([...statements, 'COMMIT'].join(';\n'));
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      if (!(await rollback(conn, ctx.logger, label))) discard();
      ctx.logger.debug({ err, files: settled.length }, 'batch refused by the database; its files are loaded one by one');
      return { settled: [], alone: [...settled.map((s) => s.file), ...alone] };
    }
    return { settled, alone };
  });
}

/** Rows are coalesced into socket writes of about this many bytes (see CopyWriter). */
const WRITE_BYTES = 256 * 1024;

/** One COPY of the rows of many files. */
async function copyRows(conn: Connection, sql: string, files: readonly InlineRows[]): Promise<void> {
  const writer = new CopyWriter(conn.client, sql);
  let pending: Buffer[] = [];
  let bytes = 0;
  const flush = async () => {
    await writer.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes));
    pending = [];
    bytes = 0;
  };
  for (const file of files) {
    for (const chunk of file.chunks) {
      pending.push(chunk);
      bytes += chunk.length;
      if (bytes >= WRITE_BYTES) await flush();
    }
  }
  if (bytes > 0) await flush();
  await writer.finish();
}
