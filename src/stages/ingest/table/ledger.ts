import { pgp, type Db } from '../../../db/database.js';
import type { Connection } from '../common/connection.js';
import type { BadRow } from '../common/issues.js';
import { storableText } from '../../../db/text.js';
import { storableJson } from '../common/storable.js';

/** What the ledger records about a file before loading it (the provenance of its rows). */
export interface LedgerEntry {
  source: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  modifiedAt: Date | null;
  pipeline: string;
  code: string;
  codeVersion: string;
  runId: number;
  table: string;
  host: string;
  /** Observing night of the file (YYYY-MM-DD), from the date in its name; null when it carries none. */
  night: string | null;
}

export interface LoadCounts {
  rows: number;
  inserted: number;
  updated: number;
  conflicting: number;
  quarantined: number;
}

// First key of the two-int4 advisory lock: keeps ingest locks apart from any other
// nocturne lock, which all use the single-bigint form.
const INGEST_LOCK_SPACE = 0x696e6773;

/** The transaction-scoped advisory lock of a content hash: [space, first 32 bits of the hash]. */
export function lockKeys(sha256: string): [number, number] {
  return [INGEST_LOCK_SPACE, Number.parseInt(sha256.slice(0, 8), 16) | 0];
}

/** What the claim's statements return: the new row's id, or the lock and any earlier row. */
interface ClaimRow {
  id?: string;
  locked?: boolean;
  status?: string | null;
  error?: string | null;
  report?: { issues: unknown[] } | null;
}

export type Claim =
  | { kind: 'busy' }
  /** Already in the ledger: `rejected` holds the earlier rejection, if that is how it ended. */
  | { kind: 'done'; rejected: { error: string; issues: unknown[] } | null }
  | { kind: 'claimed'; fileId: number };

/**
 * Opens the file's transaction in one round trip: the ledger row is inserted only if
 * the content's advisory lock is free (another process loading the same content →
 * busy), and the unique key (source, sha256) turns it into a no-op when the content was
 * already loaded or rejected → done. The unique index, not the lock, is what makes a
 * second row impossible: ON CONFLICT sees rows committed after this statement began.
 * On 'claimed' the transaction stays open with a savepoint "data" set.
 *
 * The commit does not wait for the WAL flush (synchronous_commit off): a server crash
 * may then forget the last few loads, but each whole (rows and ledger row together, and
 * WAL order keeps the forgotten ones a suffix), and the files are still in their source,
 * so the next run loads them again. Waiting for a flush per file would bound a night of
 * small files by the disk's fsync rate instead. Rejections are committed durably.
 */
export async function claimFile(conn: Connection, entry: LedgerEntry): Promise<Claim> {
  const [space, key] = lockKeys(entry.sha256);
  const results = await conn.multi<ClaimRow>(
    `BEGIN;
     SET LOCAL TimeZone = 'UTC';
     SET LOCAL synchronous_commit = off;
     INSERT INTO ingested_files (source, path, sha256, size_bytes, modified_at, pipeline, code, code_version, run_id,
                                 target_table, status, host, night)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'loading', $11, $14::date WHERE pg_try_advisory_xact_lock($12, $13)
     ON CONFLICT (source, sha256) DO NOTHING RETURNING id;
     SELECT pg_try_advisory_xact_lock($12, $13) AS locked, f.status, f.error, f.report
       FROM (SELECT 1) one LEFT JOIN ingested_files f ON f.source = $1 AND f.sha256 = $3 AND f.status <> 'loading';
     SAVEPOINT data`,
    [
      entry.source,
      entry.path,
      entry.sha256,
      entry.sizeBytes,
      entry.modifiedAt,
      entry.pipeline,
      entry.code,
      entry.codeVersion,
      entry.runId,
      entry.table,
      entry.host,
      space,
      key,
      entry.night,
    ],
  );
  const inserted = results[3]?.[0];
  if (inserted?.id !== undefined) return { kind: 'claimed', fileId: Number(inserted.id) };
  const state = results[4]?.[0];
  const done = state?.locked === true && Boolean(state.status);
  if (done && entry.modifiedAt !== null) {
    // A file recorded without its time (an older version, or a listing that gave none)
    // gets it now, so that the next run skips it unread. Only a saving: should it fail,
    // the file is still done, and the ROLLBACK (or its own failure) says where we stand.
    const timed = pgp.as.format(
      `UPDATE ingested_files SET modified_at = $4 WHERE source = $1 AND path = $2 AND sha256 = $3 AND modified_at IS NULL; COMMIT`,
      [entry.source, entry.path, entry.sha256, entry.modifiedAt],
    );
    await conn.none(timed).catch(() => conn.none('ROLLBACK'));
  } else {
    await conn.none('ROLLBACK');
  }
  if (!done || !state) return { kind: 'busy' };
  const rejected = state.status === 'rejected' ? { error: state.error ?? 'rejected', issues: state.report?.issues ?? [] } : null;
  return { kind: 'done', rejected };
}

const quarantineColumns = new pgp.helpers.ColumnSet(['file_id', 'line', 'raw', 'reason'], { table: 'quarantine_rows' });

/**
 * Records the load and its set-aside rows, and commits, in one message. `rowsSql` (the
 * rows of a small file, see InlineRows) goes first, inside the savepoint.
 */
export async function commitLoaded(
  conn: Connection,
  fileId: number,
  counts: LoadCounts,
  bad: readonly BadRow[],
  rowsSql: string | null,
): Promise<void> {
  await conn.none(
    [rowsSql, 'RELEASE SAVEPOINT data', loadedSql(fileId, counts, bad), 'COMMIT'].filter((part) => part !== null).join(';\n'),
  );
}

/**
 * The statements that record a load and its set-aside rows, to be sent before the
 * COMMIT. Values are formatted into the fixed statements only: pg-promise would also
 * replace "$1" found inside the data's own text.
 */
export function loadedSql(fileId: number, counts: LoadCounts, bad: readonly BadRow[]): string {
  const quarantine = quarantineSql(fileId, bad);
  const ledger = loadsSql([{ fileId, counts }]);
  return quarantine === null ? ledger : `${quarantine};\n${ledger}`;
}

/** The rows a file set aside (badRows.policy = quarantine), or null if none. */
export function quarantineSql(fileId: number, bad: readonly BadRow[]): string | null {
  if (bad.length === 0) return null;
  return pgp.helpers.insert(
    bad.map((b) => ({ file_id: fileId, line: b.line, raw: storableText(b.raw), reason: storableText(b.reason) })),
    quarantineColumns,
  );
}

/** One statement that records the loads of many files: a batch's ledger costs the server one parse and plan, not one per file. */
export function loadsSql(loads: readonly { fileId: number; counts: LoadCounts }[]): string {
  const column = (pick: (l: (typeof loads)[number]) => number) => loads.map(pick);
  return pgp.as.format(
    `UPDATE ingested_files f SET status = 'loaded', rows_read = l.rows, rows_inserted = l.inserted, rows_updated = l.updated,
            rows_conflicting = l.conflicting, rows_quarantined = l.quarantined, finished_at = clock_timestamp()
       FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
            AS l(id, rows, inserted, updated, conflicting, quarantined)
      WHERE f.id = l.id`,
    [
      column((l) => l.fileId),
      column((l) => l.counts.rows),
      column((l) => l.counts.inserted),
      column((l) => l.counts.updated),
      column((l) => l.counts.conflicting),
      column((l) => l.counts.quarantined),
    ],
  );
}

/** Undoes everything the file put in the catalogue, records the rejection, and commits. */
export async function commitRejected(
  conn: Connection,
  fileId: number,
  rows: number,
  error: string,
  report: RejectionReport,
): Promise<void> {
  // Durable before the caller moves the file out of the source directory.
  await conn.none(`ROLLBACK TO SAVEPOINT data;\nSET LOCAL synchronous_commit = on;\n${rejectedSql(fileId, rows, error, report)};\nCOMMIT`);
}

export interface RejectionReport {
  issues: unknown[];
  truncated: boolean;
}

/** The statement that records a rejection (durable only with synchronous_commit on). */
export function rejectedSql(fileId: number, rows: number, error: string, report: RejectionReport): string {
  return pgp.as.format(
    `UPDATE ingested_files SET status = 'rejected', rows_read = $2, error = $3, report = $4, finished_at = clock_timestamp()
      WHERE id = $1`,
    [fileId, rows, storableText(error), storableJson(report)],
  );
}

/**
 * Opens one transaction for a batch of files (see load-batch.ts) and claims in one
 * statement those whose content's advisory lock is free and that the ledger does not
 * hold yet, as claimFile() does one; returns the ledger id of each claimed content. The
 * others (busy, done, or a content twice in `entries`) are left for claimFile(), once
 * this transaction is over. The entries share their source, pipeline, run and table.
 */
export async function claimBatch(conn: Connection, entries: readonly LedgerEntry[]): Promise<Map<string, number>> {
  const [first] = entries;
  if (!first) return new Map();
  const column = <T>(pick: (e: LedgerEntry) => T) => entries.map(pick);
  const results = await conn.multi<{ id: string; sha256: string }>(
    `BEGIN;
     SET LOCAL TimeZone = 'UTC';
     SET LOCAL synchronous_commit = off;
     INSERT INTO ingested_files (source, path, sha256, size_bytes, modified_at, pipeline, code, code_version, run_id,
                                 target_table, status, host, night)
     SELECT $1, f.path, f.sha256, f.size, f.modified, $2, $3, $4, $5, $6, 'loading', $7, f.night
       FROM unnest($8::text[], $9::text[], $10::bigint[], $11::timestamptz[], $12::date[], $13::int[])
            AS f(path, sha256, size, modified, night, lock_key)
      WHERE pg_try_advisory_xact_lock($14, f.lock_key)
     ON CONFLICT (source, sha256) DO NOTHING RETURNING id, sha256`,
    [
      first.source,
      first.pipeline,
      first.code,
      first.codeVersion,
      first.runId,
      first.table,
      first.host,
      column((e) => e.path),
      column((e) => e.sha256),
      column((e) => e.sizeBytes),
      column((e) => e.modifiedAt),
      column((e) => e.night),
      column((e) => lockKeys(e.sha256)[1]),
      INGEST_LOCK_SPACE,
    ],
  );
  return new Map((results[3] ?? []).map((r) => [r.sha256, Number(r.id)]));
}

export interface SeenFile {
  id: number;
  sha256: string;
  sizeBytes: number;
  modifiedAt: Date | null;
  status: 'loaded' | 'rejected';
  error: string | null;
  report: { issues: unknown[]; truncated: boolean } | null;
}

/** The latest finished ledger row of each of `paths` in `source`. */
export async function seenFiles(db: Db, source: string, paths: readonly string[]): Promise<Map<string, SeenFile>> {
  if (paths.length === 0) return new Map();
  const rows = await db.any<{
    path: string;
    id: string;
    sha256: string;
    size_bytes: string;
    modified_at: Date | null;
    status: SeenFile['status'];
    error: string | null;
    report: SeenFile['report'];
  }>(
    `SELECT DISTINCT ON (path) path, id, sha256, size_bytes, modified_at, status, error, report
       FROM ingested_files WHERE source = $1 AND path = ANY($2::text[]) AND status <> 'loading'
      ORDER BY path, id DESC`,
    [source, paths],
  );
  return new Map(
    rows.map((r) => [
      r.path,
      {
        id: Number(r.id),
        sha256: r.sha256,
        sizeBytes: Number(r.size_bytes),
        modifiedAt: r.modified_at,
        status: r.status,
        error: r.error,
        report: r.report,
      },
    ]),
  );
}

/** Ledger status of each content hash of `source` already recorded. */
export async function doneHashes(db: Db, source: string, hashes: readonly string[]): Promise<Map<string, SeenFile['status']>> {
  if (hashes.length === 0) return new Map();
  const rows = await db.any<{ sha256: string; status: SeenFile['status'] }>(
    `SELECT sha256, status FROM ingested_files WHERE source = $1 AND sha256 = ANY($2::text[]) AND status <> 'loading'`,
    [source, hashes],
  );
  return new Map(rows.map((r) => [r.sha256, r.status]));
}
