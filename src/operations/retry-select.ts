import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { StageName } from '../config/schema.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import { globToRegex } from './glob.js';
import { sameContent } from '../adapters/files/move-file.js';
import { sha256OfFile } from '../adapters/transfer/local-source.js';

/** What `nocturne retry` was asked to put back in line. */
export interface RetrySelection {
  pipeline: string;
  /** The stages looked at, in pipeline order. */
  stages: StageName[];
  /** Globs: observation ids (run), set keys (ingest), file paths or names (ingest, upload). */
  obs?: string;
  /** run: only observations of this night (YYYY-MM-DD): one id may be found on several nights. */
  night?: string;
  set?: string;
  file?: string;
  /** Only what failed since then. */
  since?: Date;
}

export type RetryKind = 'observation' | 'set' | 'file' | 'quarantined';

/** One failed item, and whether it can be retried now. */
export interface RetryCandidate {
  stage: StageName;
  kind: RetryKind;
  /** Input path, set key, file path or outbox path. */
  item: string;
  /** The ledger row's key (observations: the input; other ledgers: the id). */
  key: string;
  /** When it failed (the ledger row's last change). */
  failedAt: Date;
  /** The ledger row as it is, kept in retried_items. */
  previous: Record<string, unknown>;
  /** Set when it cannot be retried now, and why (upload: not replaced yet...). */
  blocked?: string;
  /** Files to move back from the quarantine to where the stage looks for them. */
  moves: FileMove[];
  /**
   * upload: the retry recorded already for this quarantined file, whose move back was cut
   * short (a kill after its commit, a failed move): retrying finishes the move, and records
   * nothing twice.
   */
  recordedBy?: number;
}

export interface FileMove {
  from: string;
  to: string;
}

/** Where the stages set rejected and quarantined files aside (paths.quarantine). */
export interface QuarantinePlace {
  quarantineDir: string;
}

/**
 * The failed items a selection covers, oldest first per stage. Items made good since
 * (a later load of the same set key or file path, a later transfer of the same file)
 * are left out: retrying them would bring back an older content. A set rejected as
 * incomplete is made good only by a load with its roles: its init loaded alone leaves
 * its features to retry (sql/state/0021_open_rejections.sql).
 */
export async function findRetryCandidates(db: Db, sel: RetrySelection, place: QuarantinePlace): Promise<RetryCandidate[]> {
  const re = (glob: string | undefined) => (glob === undefined ? null : globToRegex(glob));
  const since = sel.since ?? null;
  const found: RetryCandidate[] = [];
  await inDatabase(`retry: listing what failed in ${sel.pipeline}`, async () => {
    if (sel.stages.includes('run') && (sel.obs !== undefined || (sel.set === undefined && sel.file === undefined))) {
      const rows = await db.any<Record<string, unknown> & { input: string; updated_at: Date }>(
        `SELECT * FROM observations WHERE pipeline = $1 AND state = 'failed'
            AND ($2::text IS NULL OR obs ~ $2) AND ($3::timestamptz IS NULL OR updated_at >= $3)
            AND ($4::date IS NULL OR night = $4::date)
          ORDER BY updated_at, input`,
        [sel.pipeline, re(sel.obs), since, sel.night ?? null],
      );
      for (const r of rows) {
        found.push({ stage: 'run', kind: 'observation', item: r.input, key: r.input, failedAt: r.updated_at, previous: r, moves: [] });
      }
    }
    if (sel.stages.includes('ingest') && sel.obs === undefined) {
      if (sel.file === undefined) {
        const sets = await db.any<Record<string, unknown> & { id: string; set_key: string; finished_at: Date }>(
          `SELECT * FROM ingested_sets s WHERE pipeline = $1 AND status = 'rejected'
              AND ($2::text IS NULL OR set_key ~ $2) AND ($3::timestamptz IS NULL OR finished_at >= $3)
              AND id IN (SELECT id FROM open_rejected_sets)
            ORDER BY finished_at, id`,
          [sel.pipeline, re(sel.set), since],
        );
        for (const r of sets) {
          const members = (r['members'] as Array<{ path: string; sha256: string }>).map((m) => ({ path: m.path, sha256: m.sha256 }));
          const back = await setAsideMoves(String(r['source']), sel.pipeline, members, place);
          found.push({ stage: 'ingest', kind: 'set', item: r.set_key, key: String(r.id), failedAt: r.finished_at, previous: r, ...back });
        }
      }
      if (sel.set === undefined) {
        const files = await db.any<Record<string, unknown> & { id: string; path: string; finished_at: Date }>(
          `SELECT * FROM ingested_files f WHERE pipeline = $1 AND status = 'rejected'
              AND ($2::text IS NULL OR path ~ $2 OR regexp_replace(path, '^.*/', '') ~ $2)
              AND ($3::timestamptz IS NULL OR finished_at >= $3)
              AND id IN (SELECT id FROM open_rejected_files)
            ORDER BY finished_at, id`,
          [sel.pipeline, re(sel.file), since],
        );
        for (const r of files) {
          const back = await setAsideMoves(String(r['source']), sel.pipeline, [{ path: r.path, sha256: String(r['sha256']) }], place);
          found.push({ stage: 'ingest', kind: 'file', item: r.path, key: String(r.id), failedAt: r.finished_at, previous: r, ...back });
        }
      }
    }
    if (sel.stages.includes('upload') && sel.obs === undefined && sel.set === undefined) {
      // The newest row of each file: an older quarantine of a file that came back is history.
      const rows = await db.any<
        Record<string, unknown> & {
          id: string;
          local_path: string;
          quarantine_path: string;
          size_bytes: string;
          mtime_ms: number;
          updated_at: Date;
          retried_by: string | null;
        }
      >(
        `SELECT t.*, (SELECT max(r.action_id) FROM retried_items r
                        WHERE r.pipeline = t.pipeline AND r.stage = 'upload' AND r.item = t.local_path
                          AND r.previous ->> 'id' = t.id::text) AS retried_by
           FROM transfers t WHERE pipeline = $1 AND state = 'quarantined'
            AND ($2::text IS NULL OR local_path ~ $2 OR regexp_replace(local_path, '^.*/', '') ~ $2)
            AND ($3::timestamptz IS NULL OR updated_at >= $3)
            AND NOT EXISTS (SELECT 1 FROM transfers l WHERE l.pipeline = t.pipeline AND l.local_path = t.local_path AND l.id > t.id)
          ORDER BY updated_at, id`,
        [sel.pipeline, re(sel.file), since],
      );
      for (const { retried_by, ...r } of rows) {
        const blocked = await quarantineBlock(r.quarantine_path, r.local_path, Number(r.size_bytes), r.mtime_ms);
        const moves = [{ from: r.quarantine_path, to: r.local_path }];
        found.push({
          stage: 'upload',
          kind: 'quarantined',
          item: r.local_path,
          key: String(r.id),
          failedAt: r.updated_at,
          previous: r,
          moves,
          ...(blocked ? { blocked } : {}),
          ...(retried_by === null ? {} : { recordedBy: Number(retried_by) }),
        });
      }
    }
  });
  return found;
}

/**
 * Why a quarantined file cannot go back to the outbox now, if it cannot: gone from the
 * quarantine (moved back already, or removed by a person), another file already at its
 * outbox path, or not replaced since it was quarantined (same size and modification time).
 */
async function quarantineBlock(quarantined: string, outbox: string, size: number, mtimeMs: number): Promise<string | undefined> {
  const there = await stat(quarantined).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (!there) return `no file at ${quarantined} any more (moved back already, or removed)`;
  // The quarantined file itself at its outbox path is a move back cut short: the retry finishes it.
  if ((await exists(outbox)) && !(await sameContent(quarantined, outbox))) {
    return `a file is already at ${outbox}: the upload stage takes that one`;
  }
  if (there.size === size && Math.abs(there.mtimeMs - mtimeMs) < 1) {
    return `not replaced since it was quarantined: put the corrected file at ${quarantined} (or touch it to send the same bytes again)`;
  }
  return undefined;
}

/**
 * The moves that bring the files of a rejected set or file of a local source back from
 * where the ingest stage set them aside (<quarantine>/<pipeline>/<path in the source>,
 * tagged with the first 12 hex digits of their SHA-256 when the name was taken). A file
 * already back in the source needs no move, unless it is the set-aside copy under both
 * names; remote sources are never moved.
 */
async function setAsideMoves(
  source: string,
  pipeline: string,
  files: ReadonlyArray<{ path: string; sha256: string }>,
  place: QuarantinePlace,
): Promise<{ moves: FileMove[]; blocked?: string }> {
  if (!source.startsWith('local:')) return { moves: [] };
  const dir = source.slice('local:'.length);
  const moves: FileMove[] = [];
  for (const file of files) {
    const plain = path.join(place.quarantineDir, pipeline, path.relative(dir, file.path));
    const ext = path.extname(plain);
    const tagged = `${plain.slice(0, plain.length - ext.length)}.${file.sha256.slice(0, 12)}${ext}`;
    let from: string | undefined;
    for (const candidate of [plain, tagged]) {
      if ((await sha256OfFile(candidate).catch(orNullIfGone)) === file.sha256) {
        from = candidate;
        break;
      }
    }
    if (await exists(file.path)) {
      // The same file back in the source and still set aside: a move cut short between
      // its link and its unlink, finished by moving again (moveBack accepts it in place).
      // A corrected file put back by a person leaves the set-aside copy alone.
      if (from && (await sameContent(from, file.path))) moves.push({ from, to: file.path });
      continue;
    }
    if (!from) return { moves, blocked: `${file.path} is neither in the source nor set aside as ${plain}: put it back in ${dir}` };
    moves.push({ from, to: file.path });
  }
  return { moves };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );
}

function orNullIfGone(err: NodeJS.ErrnoException): null {
  if (err.code === 'ENOENT') return null;
  throw err;
}
