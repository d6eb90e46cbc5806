import type { IConnected } from 'pg-promise';
import type { IClient } from 'pg-promise/typescript/pg-subset.js';
import { pgp, type Db } from '../../db/database.js';
import type { BadRow } from './issues.js';
import { storable } from './issues.js';

/** A pooled connection held for one file's transaction. */
export type Connection = IConnected<unknown, IClient>;

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

export type Claim =
  | { kind: 'busy' }
  /** Already in the ledger: `rejected` holds the earlier rejection, if that is how it ended. */
  | { kind: 'done'; rejected: { error: string; issues: unknown[] } | null }
  | { kind: 'claimed'; fileId: number };

/**
 * Opens the file's transaction: takes its advisory lock without waiting (another
 * process loading the same content → busy), then inserts its ledger row; an existing
 * row means the content was already loaded or rejected → done. The insert runs in a
 * statement after the lock, so it sees whatever the previous holder committed.
 * On 'claimed' the transaction stays open with a savepoint "data" set.
 */
export async function claimFile(conn: Connection, entry: LedgerEntry): Promise<Claim> {
  const opened = await conn.multi<{ locked: boolean }>(
    `BEGIN; SET LOCAL TimeZone = 'UTC'; SELECT pg_try_advisory_xact_lock($1, $2) AS locked`,
    lockKeys(entry.sha256),
  );
  if (!opened[2]?.[0]?.locked) {
    await conn.none('ROLLBACK');
    return { kind: 'busy' };
  }
  const inserted = await conn.multi<{ id: string }>(
    `INSERT INTO ingested_files (source, path, sha256, size_bytes, modified_at, pipeline, code, code_version, run_id,
                                 target_table, status, host)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'loading', $11)
     ON CONFLICT (source, sha256) DO NOTHING RETURNING id;
     SAVEPOINT data`,
    [entry.source, entry.path, entry.sha256, entry.sizeBytes, entry.modifiedAt, entry.pipeline, entry.code, entry.codeVersion,
      entry.runId, entry.table, entry.host],
  );
  const row = inserted[0]?.[0];
  if (!row) {
    const earlier = await conn.one<{ status: string; error: string | null; report: { issues: unknown[] } | null }>(
      'SELECT status, error, report FROM ingested_files WHERE source = $1 AND sha256 = $2',
      [entry.source, entry.sha256],
    );
    await conn.none('ROLLBACK');
    const rejected = earlier.status === 'rejected' ? { error: earlier.error ?? 'rejected', issues: earlier.report?.issues ?? [] } : null;
    return { kind: 'done', rejected };
  }
  return { kind: 'claimed', fileId: Number(row.id) };
}

const quarantineColumns = new pgp.helpers.ColumnSet(['file_id', 'line', 'raw', 'reason'], { table: 'quarantine_rows' });

/** Records the load and its set-aside rows, and commits. */
export async function commitLoaded(conn: Connection, fileId: number, counts: LoadCounts, bad: readonly BadRow[]): Promise<void> {
  const quarantine =
    bad.length === 0
      ? ''
      : `${pgp.helpers.insert(
          bad.map((b) => ({ file_id: fileId, line: b.line, raw: storable(b.raw), reason: storable(b.reason) })),
          quarantineColumns,
        )};`;
  await conn.none(
    `RELEASE SAVEPOINT data; ${quarantine}
     UPDATE ingested_files SET status = 'loaded', rows_read = $2, rows_inserted = $3, rows_updated = $4,
            rows_conflicting = $5, rows_quarantined = $6, finished_at = clock_timestamp()
      WHERE id = $1;
     COMMIT`,
    [fileId, counts.rows, counts.inserted, counts.updated, counts.conflicting, counts.quarantined],
  );
}

/** Undoes everything the file put in the catalogue, records the rejection, and commits. */
export async function commitRejected(
  conn: Connection,
  fileId: number,
  rows: number,
  error: string,
  report: { issues: unknown[]; truncated: boolean },
): Promise<void> {
  await conn.none(
    `ROLLBACK TO SAVEPOINT data;
     UPDATE ingested_files SET status = 'rejected', rows_read = $2, error = $3, report = $4, finished_at = clock_timestamp()
      WHERE id = $1;
     COMMIT`,
    [fileId, rows, storable(error), JSON.parse(storable(JSON.stringify(report))) as unknown],
  );
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
      { id: Number(r.id), sha256: r.sha256, sizeBytes: Number(r.size_bytes), modifiedAt: r.modified_at, status: r.status, error: r.error, report: r.report },
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
