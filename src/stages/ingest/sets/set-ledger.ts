import { createHash } from 'node:crypto';
import { pgp, type Db } from '../../../db/database.js';
import { storable } from '../issues.js';
import type { SetIssue } from './parse-member.js';

/** One file of a set, as the ledger records it. */
export interface MemberRecord {
  role: string;
  path: string;
  sha256: string;
  size: number;
  /** Modification time as listed (ISO), when the source gives one. */
  modified?: string;
}

/** What the ledger records about a set before anything is decided about it. */
export interface SetEntry {
  source: string;
  pipeline: string;
  code: string;
  codeVersion: string;
  setKey: string;
  kind: 'set' | 'track';
  contentSha256: string;
  members: MemberRecord[];
  runId: number;
  host: string;
}

export type FinalStatus = 'loaded' | 'refused' | 'rejected';

/** SHA-256 over the members' "role:name:sha256" lines, sorted: the identity of a set's content. */
export function contentHash(members: readonly MemberRecord[]): string {
  const lines = members.map((m) => `${m.role}:${m.path.slice(m.path.lastIndexOf('/') + 1)}:${m.sha256}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

// First key of the two-int4 advisory lock of a set: apart from the file ledger's (0x696e6773).
const SETS_LOCK_SPACE = 0x68666373;

/** The transaction-scoped advisory lock of a set key of a source. */
export function setLockKeys(source: string, setKey: string): [number, number] {
  const digest = createHash('sha256').update(`${source}\0${setKey}`).digest();
  return [SETS_LOCK_SPACE, digest.readInt32BE(0)];
}

export type LedgerStatus = FinalStatus | 'replaced' | 'waiting';

/** What the ledger holds of the listed set keys. */
export interface KnownSets {
  /** key → (content hash → status of its latest record). */
  contents: Map<string, Map<string, LedgerStatus>>;
  /** key → the files of its latest settled record (loaded, refused or rejected). */
  settled: Map<string, { status: FinalStatus; members: MemberRecord[] }>;
}

export async function knownContents(db: Db, source: string, keys: readonly string[]): Promise<KnownSets> {
  const known: KnownSets = { contents: new Map(), settled: new Map() };
  if (keys.length === 0) return known;
  const rows = await db.any<{ set_key: string; content_sha256: string; status: LedgerStatus; members: MemberRecord[] }>(
    `SELECT set_key, content_sha256, status, members FROM ingested_sets WHERE source = $1 AND set_key = ANY($2::text[]) ORDER BY id`,
    [source, keys],
  );
  for (const row of rows) {
    let contents = known.contents.get(row.set_key);
    if (!contents) known.contents.set(row.set_key, (contents = new Map()));
    contents.set(row.content_sha256, row.status);
    if (row.status !== 'waiting' && row.status !== 'replaced') known.settled.set(row.set_key, { status: row.status, members: row.members });
  }
  return known;
}

/**
 * Whether the listed files of a set are, by path, size and modification time, exactly
 * the files of its latest settled record: then they need not be read again. Never true
 * when the source gives no modification times.
 */
export function listedUnchanged(settled: readonly MemberRecord[], listed: ReadonlyArray<{ path: string; sizeBytes: number; modifiedAt: Date | null }>): boolean {
  if (settled.length !== listed.length) return false;
  const recorded = new Map(settled.map((m) => [m.path, m]));
  return listed.every((c) => {
    const m = recorded.get(c.path);
    return m !== undefined && c.modifiedAt !== null && m.size === c.sizeBytes && m.modified === c.modifiedAt.toISOString();
  });
}

const COLUMNS = 'source, pipeline, code, code_version, set_key, kind, content_sha256, members, run_id, host';

/** `INSERT INTO ingested_sets` of `entry` with `status` and the extra columns (id, rows, error, report...). */
export function insertEntry(entry: SetEntry, status: string, extra: Record<string, unknown> = {}): string {
  const names = Object.keys(extra);
  return pgp.as.format(
    `INSERT INTO ingested_sets (${COLUMNS}, status, finished_at${names.map((n) => `, ${n}`).join('')})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, ${status === 'waiting' ? 'NULL' : 'clock_timestamp()'}${names.map((_, i) => `, $${12 + i}`).join('')})`,
    [entry.source, entry.pipeline, entry.code, entry.codeVersion, entry.setKey, entry.kind, entry.contentSha256,
      JSON.stringify(entry.members), entry.runId, entry.host, status, ...Object.values(extra)],
  );
}

/** The report kept with a rejected set. */
export function rejectionColumns(error: string, issues: readonly SetIssue[], more: number): Record<string, unknown> {
  return { error: storable(error), report: storable(JSON.stringify({ issues, truncated: more > 0 })) };
}

/**
 * Records a rejected set in a transaction of its own, committed durably (the caller
 * then sets its local files aside). A rejection of the same content already recorded
 * by another process is left as it is.
 */
export async function recordRejected(db: Db, entry: SetEntry, error: string, issues: readonly SetIssue[], more: number): Promise<void> {
  await db.tx('set-rejected', async (tx) => {
    await tx.none(`DELETE FROM ingested_sets WHERE source = $1 AND set_key = $2 AND status = 'waiting'`, [entry.source, entry.setKey]);
    await tx.none(
      `${insertEntry(entry, 'rejected', rejectionColumns(error, issues, more))}
       ON CONFLICT (source, set_key, content_sha256) WHERE status <> 'replaced' DO NOTHING`,
    );
  });
}

/**
 * Notes that an incomplete set is waiting (its first sighting starts initWait) and says
 * whether initWait is over; if so, the set is recorded as rejected with `error`.
 */
export async function recordWaiting(db: Db, entry: SetEntry, initWaitMs: number, error: string): Promise<'waiting' | 'expired'> {
  return db.tx('set-waiting', async (tx) => {
    await tx.none(`${insertEntry(entry, 'waiting')} ON CONFLICT (source, set_key, content_sha256) WHERE status <> 'replaced' DO NOTHING`);
    const { expired } = await tx.one<{ expired: boolean }>(
      `SELECT coalesce(clock_timestamp() - min(first_seen_at) >= make_interval(secs => $3 / 1000.0), false) AS expired
         FROM ingested_sets WHERE source = $1 AND set_key = $2 AND status = 'waiting'`,
      [entry.source, entry.setKey, initWaitMs],
    );
    if (!expired) return 'waiting';
    await tx.none(
      `UPDATE ingested_sets SET status = 'rejected', error = $4, finished_at = clock_timestamp()
        WHERE source = $1 AND set_key = $2 AND content_sha256 = $3 AND status = 'waiting';
       DELETE FROM ingested_sets WHERE source = $1 AND set_key = $2 AND status = 'waiting'`,
      [entry.source, entry.setKey, entry.contentSha256, storable(error)],
    );
    return 'expired';
  });
}
