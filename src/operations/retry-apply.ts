import { copyFile, link, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { coerceError } from '../core/errors.js';
import { sameContent } from '../adapters/files/move-file.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import { recordAction } from './operator.js';
import type { RetryCandidate, RetrySelection } from './retry-select.js';

export interface RetryApplied {
  /**
   * The retry recorded; null when every item's retry was recorded before
   * (RetryCandidate.recordedBy), or none was still to retry (another retry took them).
   */
  actionId: number | null;
  /**
   * Put back in line: their ledger rows changed in the same transaction as the record, or,
   * recorded before, their move back finished now.
   */
  retried: RetryCandidate[];
  /**
   * Items whose files could not be moved back (the error says why): ingest items are
   * then not retried; upload items are recorded, their file still in the quarantine.
   */
  unmoved: Array<{ item: RetryCandidate; error: string }>;
}

/**
 * Puts the items back in line and records who asked, in one transaction, so a retry
 * killed at any instant has either done all of its bookkeeping or none:
 * - run: a failed observation becomes pending again; it keeps its count of failures, so
 *   its next task is the next attempt, and a failure of that attempt is final;
 * - ingest: a rejected set or file leaves its ledger (kept whole in retried_items), so
 *   the next run reads the same content as new;
 * - upload: a transfer event notes the retry; once committed, the replaced file moves
 *   from the quarantine back to its outbox path, where the next run finds it as a new file.
 * A move cut short by a crash leaves the file in the quarantine, where the next retry
 * finds it and finishes the move, without recording the retry a second time.
 */
export async function applyRetry(db: Db, sel: RetrySelection, items: readonly RetryCandidate[], by: string): Promise<RetryApplied> {
  const unmoved: RetryApplied['unmoved'] = [];
  // Ingest: the files go back first. Killed before the commit, the next ingest run finds
  // them still rejected and sets them aside again; the ledger row is never gone while
  // its files are in the quarantine.
  const ready: RetryCandidate[] = [];
  for (const item of items.filter((i) => !i.blocked)) {
    if (item.stage === 'ingest' && !(await movedBack(item, unmoved))) continue;
    ready.push(item);
  }
  const recorded = ready.filter((i) => i.recordedBy !== undefined);
  const fresh = ready.filter((i) => i.recordedBy === undefined);
  const { actionId, retried } = fresh.length === 0 ? { actionId: null, retried: [] } : await record(db, sel, fresh, by);
  for (const item of [...retried, ...recorded].filter((i) => i.stage === 'upload')) await movedBack(item, unmoved);
  return { actionId, retried: [...retried, ...recorded], unmoved };
}

/**
 * The retry's ledger changes and its record, in one transaction. Each change is guarded
 * by the state the item was selected in, so what changed meanwhile (another retry at the
 * same time, a run) is left alone; the record counts what did change, and is not made
 * when nothing did.
 */
async function record(
  db: Db,
  sel: RetrySelection,
  ready: readonly RetryCandidate[],
  by: string,
): Promise<{ actionId: number | null; retried: RetryCandidate[] }> {
  const of = (kind: RetryCandidate['kind']) => ready.filter((i) => i.kind === kind).map((i) => i.key);
  return inDatabase(`retry: putting ${ready.length} item(s) of ${sel.pipeline} back in line`, () =>
    db.tx('retry', async (tx) => {
      const observations = await tx.map<string>(
        `UPDATE observations SET state = 'pending', retry_at = NULL, updated_at = now()
          WHERE pipeline = $1 AND input = ANY($2::text[]) AND state = 'failed' RETURNING input`,
        [sel.pipeline, of('observation')],
        (r: { input: string }) => r.input,
      );
      const sets = await tx.map<string>(
        `DELETE FROM ingested_sets WHERE id = ANY($1::bigint[]) AND status = 'rejected' RETURNING id::text`,
        [of('set')],
        (r: { id: string }) => r.id,
      );
      const files = await tx.map<string>(
        `DELETE FROM ingested_files WHERE id = ANY($1::bigint[]) AND status = 'rejected' RETURNING id::text`,
        [of('file')],
        (r: { id: string }) => r.id,
      );
      // A quarantined file keeps its state until the upload stage takes it: its rows are
      // locked first, so that a retry at the same time waits, then sees this one recorded.
      await tx.any(`SELECT 1 FROM transfers WHERE id = ANY($1::bigint[]) FOR UPDATE`, [of('quarantined')]);
      const transfers = await tx.map<string>(
        `SELECT id::text FROM transfers t WHERE id = ANY($1::bigint[]) AND state = 'quarantined'
            AND NOT EXISTS (SELECT 1 FROM retried_items r WHERE r.pipeline = t.pipeline AND r.stage = 'upload'
                               AND r.item = t.local_path AND r.previous ->> 'id' = t.id::text)`,
        [of('quarantined')],
        (r: { id: string }) => r.id,
      );
      const changed = new Set([...observations, ...sets, ...files, ...transfers]);
      const done = ready.filter((i) => changed.has(i.key));
      if (done.length === 0) return { actionId: null, retried: [] };
      const id = await recordAction(tx, {
        action: 'retry',
        pipeline: sel.pipeline,
        stage: sel.stages.length === 1 ? sel.stages[0]! : '',
        askedBy: by,
        details: {
          selection: { ...sel, since: sel.since?.toISOString() },
          items: Object.fromEntries(sel.stages.map((s) => [s, done.filter((i) => i.stage === s).length])),
        },
      });
      await tx.none(
        `INSERT INTO transfer_events (transfer_id, from_state, to_state, note)
         SELECT id, state, state, 'retry #' || $2 || ' asked by ' || $3 || ': moved back to ' || local_path
           FROM transfers WHERE id = ANY($1::bigint[])`,
        [transfers, id, by],
      );
      await tx.none(
        `INSERT INTO retried_items (action_id, pipeline, stage, kind, item, previous)
         SELECT $1, $2, u.stage, u.kind, u.item, u.previous
           FROM unnest($3::text[], $4::text[], $5::text[], $6::jsonb[]) AS u(stage, kind, item, previous)`,
        [
          id,
          sel.pipeline,
          done.map((i) => i.stage),
          done.map((i) => i.kind),
          done.map((i) => i.item),
          done.map((i) => JSON.stringify(i.previous)),
        ],
      );
      return { actionId: id, retried: done };
    }),
  );
}

async function movedBack(item: RetryCandidate, unmoved: RetryApplied['unmoved']): Promise<boolean> {
  try {
    for (const move of item.moves) await moveBack(move.from, move.to);
    return true;
  } catch (err) {
    unmoved.push({ item, error: coerceError(err).message });
    return false;
  }
}

/**
 * Moves a quarantined file back to its outbox path, never over another file that is
 * there (link fails on it), then removes the quarantined name and its note. A move cut
 * short between the link and the unlink of the quarantined name is finished: the outbox
 * file is then the quarantined one (same inode, or, across file systems, same bytes).
 */
export async function moveBack(quarantined: string, outbox: string): Promise<void> {
  const linked = async (from: string) =>
    link(from, outbox).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST' || !(await sameContent(quarantined, outbox))) throw err;
    });
  const hidden = path.join(path.dirname(outbox), `.${path.basename(outbox)}.retrying`);
  try {
    await mkdir(path.dirname(outbox), { recursive: true });
    await linked(quarantined).catch(async (err: NodeJS.ErrnoException) => {
      // The quarantine may be on another file system than the outbox: copied under a
      // hidden name (the upload stage skips dot files), then linked whole into place.
      if (err.code !== 'EXDEV') throw err;
      await copyFile(quarantined, hidden);
      await linked(hidden);
    });
    // The hidden copy (one left by a move cut short too), then the note beside the file
    // (the upload stage's reason, the ingest stage's report), then the file: each step
    // cut short leaves the file in the quarantine, where the next retry finishes the move.
    for (const leftover of [hidden, `${quarantined}.reason.txt`, `${quarantined}.report.txt`]) {
      await unlink(leftover).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    }
    await unlink(quarantined);
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `moving ${quarantined} back to ${outbox}`);
  }
}
