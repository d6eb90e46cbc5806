import { createHash } from 'node:crypto';
import { pgp, type Db } from '../../../db/database.js';
import { storableText } from '../../../db/text.js';
import { storableJson } from '../common/storable.js';
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
  /** setKey with the code version as "*": one live load per re-emission key, whatever the version. */
  reemissionKey: string;
  kind: 'set' | 'track';
  contentSha256: string;
  members: MemberRecord[];
  runId: number;
  host: string;
  /** Observing night of the set (YYYY-MM-DD), from its file names' date; null when they carry none. */
  night: string | null;
  /** SHA-256 of what the set is read under (pipeline configuration, metadata files): recorded with a rejection. */
  readUnder: string;
  /** A rejection of this content decided under something else is on record: this run tries it again. */
  retrying: boolean;
}

export type FinalStatus = 'loaded' | 'refused' | 'rejected';

/** SHA-256 over the members' "role:name:sha256" lines, sorted: the identity of a set's content. */
export function contentHash(members: readonly MemberRecord[]): string {
  const lines = members.map((m) => `${m.role}:${m.path.slice(m.path.lastIndexOf('/') + 1)}:${m.sha256}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

// First key of the two-int4 advisory lock of a set: apart from the file ledger's (0x696e6773).
const SETS_LOCK_SPACE = 0x68666373;

/** The transaction-scoped advisory lock of a set of a source, by its re-emission key: every version of it takes the same. */
export function setLockKeys({ source, reemissionKey }: Pick<SetEntry, 'source' | 'reemissionKey'>): [number, number] {
  const digest = createHash('sha256').update(`${source}\0${reemissionKey}`).digest();
  return [SETS_LOCK_SPACE, digest.readInt32BE(0)];
}

/** 'incomplete': rejected because a member never arrived (loaded once it is there). */
export type LedgerStatus = FinalStatus | 'replaced' | 'waiting' | 'incomplete';

/** What the ledger holds of the listed set keys. */
export interface KnownSets {
  /** key → (content hash → status of its latest record). */
  contents: Map<string, Map<string, LedgerStatus>>;
  /** key → the files of its latest settled record (loaded, refused or rejected for its content). */
  settled: Map<string, { status: FinalStatus; members: MemberRecord[]; rejectedUnder: string | null }>;
  /** key → (content hash → what its rejection was decided under), for rejected contents. */
  rejectedUnder: Map<string, Map<string, string | null>>;
}

export async function knownContents(db: Db, source: string, keys: readonly string[]): Promise<KnownSets> {
  const known: KnownSets = { contents: new Map(), settled: new Map(), rejectedUnder: new Map() };
  if (keys.length === 0) return known;
  const rows = await db.any<{
    set_key: string;
    content_sha256: string;
    status: LedgerStatus;
    members: MemberRecord[];
    rejected_under: string | null;
  }>(
    `SELECT set_key, content_sha256, CASE WHEN status = 'rejected' AND incomplete THEN 'incomplete' ELSE status END AS status, members, rejected_under
       FROM ingested_sets WHERE source = $1 AND set_key = ANY($2::text[]) ORDER BY id`,
    [source, keys],
  );
  for (const row of rows) {
    let contents = known.contents.get(row.set_key);
    if (!contents) known.contents.set(row.set_key, (contents = new Map<string, LedgerStatus>()));
    contents.set(row.content_sha256, row.status);
    if (row.status === 'rejected') {
      let under = known.rejectedUnder.get(row.set_key);
      if (!under) known.rejectedUnder.set(row.set_key, (under = new Map<string, string | null>()));
      under.set(row.content_sha256, row.rejected_under);
    }
    if (row.status === 'loaded' || row.status === 'refused' || row.status === 'rejected') {
      known.settled.set(row.set_key, { status: row.status, members: row.members, rejectedUnder: row.rejected_under });
    }
  }
  return known;
}

/**
 * Whether the listed files of a set are, by path, size and modification time, exactly
 * the files of its latest settled record: then they need not be read again. Never true
 * when the source gives no modification times.
 */
export function listedUnchanged(
  settled: readonly MemberRecord[],
  listed: ReadonlyArray<{ path: string; sizeBytes: number; modifiedAt: Date | null }>,
): boolean {
  if (settled.length !== listed.length) return false;
  const recorded = new Map(settled.map((m) => [m.path, m]));
  return listed.every((c) => {
    const m = recorded.get(c.path);
    return m !== undefined && c.modifiedAt !== null && m.size === c.sizeBytes && m.modified === c.modifiedAt.toISOString();
  });
}

const COLUMNS =
  'source, pipeline, code, code_version, set_key, reemission_key, kind, content_sha256, members, member_names, run_id, host, night';

/** `INSERT INTO ingested_sets` of `entry` with `status` and the extra columns (id, rows, error, report...), their text storableText(). */
export function insertEntry(entry: SetEntry, status: string, extra: Record<string, unknown> = {}): string {
  const { head, row } = ledgerRow(entry, status, extra);
  return head + row;
}

/** insertEntry() as the INSERT's head (up to VALUES: the same for every entry with the same extra columns) and its row. */
export function ledgerRow(entry: SetEntry, status: string, extra: Record<string, unknown> = {}): { head: string; row: string } {
  const names = Object.keys(extra);
  return {
    head: `INSERT INTO ingested_sets (${COLUMNS}, status, finished_at${names.map((n) => `, ${n}`).join('')}) VALUES `,
    row: pgp.as.format(
      `($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::text[], $11, $12, $13, $14, ${status === 'waiting' ? 'NULL' : 'clock_timestamp()'}${names.map((_, i) => `, $${15 + i}`).join('')})`,
      [
        entry.source,
        entry.pipeline,
        entry.code,
        entry.codeVersion,
        entry.setKey,
        entry.reemissionKey,
        entry.kind,
        entry.contentSha256,
        storableJson(entry.members),
        // As member_names(members) computes them: the path's last element.
        entry.members.map((m) => storableText(m.path).replace(/^.*\//s, '')),
        entry.runId,
        entry.host,
        entry.night,
        status,
        ...Object.values(extra).map((v) => (typeof v === 'string' ? storableText(v) : v)),
      ],
    ),
  };
}

/** The report kept with a rejected set. */
function rejectionColumns(entry: SetEntry, error: string, issues: readonly SetIssue[], more: number): Record<string, unknown> {
  return { error, report: storableJson({ issues, truncated: more > 0 }), rejected_under: entry.readUnder };
}

/**
 * Drops what a complete set supersedes: the waiting rows of its key, (unless
 * `incomplete` is false) a rejection of this very content for a member that had not
 * arrived (it is there now), and a rejection of this content that this run retries
 * (decided under another configuration or other metadata files).
 */
export function clearProvisional(entry: SetEntry, incomplete = true): string {
  return pgp.as.format(
    `DELETE FROM ingested_sets WHERE source = $1 AND set_key = $2
        AND (status = 'waiting' OR ($4 AND status = 'rejected' AND incomplete AND content_sha256 = $3)
             OR ($5 AND status = 'rejected' AND NOT incomplete AND content_sha256 = $3))`,
    [entry.source, entry.setKey, entry.contentSha256, incomplete, entry.retrying],
  );
}

/**
 * Records a rejected set in a transaction of its own, committed durably (the caller
 * then sets its local files aside), under the set key's lock: never beside a load of
 * the set in flight. A rejection of the same content already recorded by another
 * process is left as it is; one for incompleteness, or one retried by this run, gives
 * way to this one.
 */
export async function recordRejected(db: Db, entry: SetEntry, error: string, issues: readonly SetIssue[], more: number): Promise<void> {
  await db.tx('set-rejected', async (tx) => {
    await tx.one(lockSet(entry));
    await tx.none(clearProvisional(entry));
    await tx.none(
      `${insertEntry(entry, 'rejected', rejectionColumns(entry, error, issues, more))}
       ON CONFLICT (source, set_key, content_sha256) WHERE status <> 'replaced' DO NOTHING`,
    );
  });
}

/** Waits for the set key's advisory lock, held to the end of the transaction. */
function lockSet(entry: SetEntry): string {
  return pgp.as.format('SELECT pg_advisory_xact_lock($1, $2)', setLockKeys(entry));
}

/**
 * Notes that an incomplete set is waiting (its first sighting starts initWait) and says
 * whether initWait is over; if so, the set is recorded as rejected (incomplete) with
 * `error`. Under the set key's lock: when a load of the set key was committed since the
 * set was first seen waiting (or since `listedFrom`, the database time before the
 * source was listed), the listing is stale: 'loaded', and nothing is recorded.
 */
export async function recordWaiting(
  db: Db,
  entry: SetEntry,
  initWaitMs: number,
  error: string,
  listedFrom: string,
): Promise<'waiting' | 'expired' | 'loaded'> {
  return db.tx('set-waiting', async (tx) => {
    await tx.one(lockSet(entry));
    const { loaded } = await tx.one<{ loaded: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ingested_sets l
                       WHERE l.source = $1 AND l.set_key = $2 AND l.status IN ('loaded', 'replaced')
                         AND l.finished_at >= (SELECT least(min(w.first_seen_at), $3::timestamptz) FROM ingested_sets w
                                                WHERE w.source = $1 AND w.set_key = $2 AND w.status = 'waiting')) AS loaded`,
      [entry.source, entry.setKey, listedFrom],
    );
    if (loaded) {
      await tx.none(clearProvisional(entry));
      return 'loaded';
    }
    await tx.none(`${insertEntry(entry, 'waiting')} ON CONFLICT (source, set_key, content_sha256) WHERE status <> 'replaced' DO NOTHING`);
    const { expired } = await tx.one<{ expired: boolean }>(
      `SELECT coalesce(clock_timestamp() - min(first_seen_at) >= make_interval(secs => $3 / 1000.0), false) AS expired
         FROM ingested_sets WHERE source = $1 AND set_key = $2 AND status = 'waiting'`,
      [entry.source, entry.setKey, initWaitMs],
    );
    if (!expired) return 'waiting';
    await tx.none(
      `UPDATE ingested_sets SET status = 'rejected', incomplete = true, error = $4, finished_at = clock_timestamp()
        WHERE source = $1 AND set_key = $2 AND content_sha256 = $3 AND status = 'waiting'`,
      [entry.source, entry.setKey, entry.contentSha256, storableText(error)],
    );
    await tx.none(clearProvisional(entry, false));
    return 'expired';
  });
}
