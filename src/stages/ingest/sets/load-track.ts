import { pgp } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import type { Connection } from '../ledger.js';
import { FEAT_FILENAME, LOAD_ID } from './header-map.js';
import type { SetTables } from './load-set.js';
import type { ParsedMember, SetIssues } from './parse-member.js';
import { clearProvisional, insertEntry, type SetEntry } from './set-ledger.js';
import { commitRows, openSet, replaceLedger, commitRefused } from './set-transaction.js';

export type TrackResult =
  | { kind: 'busy' | 'done' }
  | { kind: 'loaded'; loadId: string; rows: Record<string, number>; replaced: string | undefined }
  | { kind: 'refused'; error: string }
  /** Feature files not loaded (yet): the track file waits for them. */
  | { kind: 'waiting'; missing: string[] }
  | { kind: 'rejected'; error?: string };

interface FeatureRow {
  feat_filename: string;
  row_ordinal: number;
  id: string;
}

/**
 * Loads a track file in its own transaction: each row names its feature by the row
 * ordinal in the feature file FEAT_FILENAME, which becomes the feature's database id
 * through (feat_filename, row_ordinal); tracking may reference features only (see
 * config/sets-check.ts). A feature file not loaded yet makes the track
 * file wait; an ordinal past the end of a loaded feature file is a located issue.
 */
export async function loadTrack(conn: Connection, tables: SetTables, entry: SetEntry, track: ParsedMember, issues: SetIssues, logger: Logger): Promise<TrackResult> {
  const tracking = tables.tracking!;
  const features = tables.features;
  const nameAt = track.map.indexOf(FEAT_FILENAME);
  if (nameAt < 0) {
    issues.add({ file: track.label, line: 1, column: 'FEAT_FILENAME', reason: 'a track file needs FEAT_FILENAME: the file of the features its rows reference' });
    return { kind: 'rejected' };
  }
  const files = [...new Set(track.rows.map((row) => row.fields[nameAt]!.trim()))];
  const fid = features.identity?.name ?? 'id';
  // FOR KEY SHARE: a replace of these features waits for this load to commit (then
  // re-points its rows), and this lookup waits for a replace under way (then sees the
  // features gone: the track file waits for the new ones). Both lock in id order, or
  // each could hold a row the other waits for.
  const lookup = pgp.as.format(
    `SELECT feat_filename, row_ordinal, "${fid}"::text AS id FROM ${features.sql} WHERE feat_filename = ANY($1::text[])
      ORDER BY "${fid}" FOR KEY SHARE`,
    [files],
  );
  const opened = await openSet(conn, entry, [lookup]);
  if (opened.kind !== 'open') return opened;
  const byFile = new Map<string, Map<number, string>>();
  for (const row of opened.results[0] as FeatureRow[]) {
    let ordinals = byFile.get(row.feat_filename);
    if (!ordinals) byFile.set(row.feat_filename, (ordinals = new Map()));
    ordinals.set(row.row_ordinal, row.id);
  }
  const missing = files.filter((file) => !byFile.has(file));
  if (missing.length > 0) {
    await conn.none('ROLLBACK');
    return { kind: 'waiting', missing };
  }
  if (opened.live && tables.reemitted === 'keep') return { kind: 'refused', error: await commitRefused(conn, entry, opened.live.id) };

  const loadId = await tables.ids.ledger.one();
  const values = track.rows.map((row) => {
    const ordinals = byFile.get(row.fields[nameAt]!.trim())!;
    const ids = track.map.references.map((ref) => {
      const raw = row.fields[ref.index]!;
      if (ref.nulls.has(raw)) return 'NULL';
      const id = /^\d+$/.test(raw.trim()) ? ordinals.get(Number(raw.trim())) : undefined;
      if (id === undefined) {
        issues.add({ file: track.label, line: row.line, column: ref.header, value: raw, reason: `${raw.trim()} is not a row of ${row.fields[nameAt]!.trim()} (it has ${ordinals.size} features)` });
      }
      return id ?? 'NULL';
    });
    return `(${[loadId, ...ids, ...row.values].join(', ')})`;
  });
  if (!issues.empty) {
    await conn.none('ROLLBACK');
    return { kind: 'rejected' };
  }
  const rows = { [tracking.table.relname]: values.length };
  const columns = [LOAD_ID, ...track.map.references.map((r) => r.column.name), ...track.map.values.map((v) => v.column.name)];
  // A waiting row (or a rejection for incompleteness) of this very content would collide with the loaded one: it goes first.
  const statements: string[] = [clearProvisional(entry)];
  const old = opened.live?.id;
  const swap = old === undefined ? undefined : replaceLedger(old, loadId);
  if (swap) statements.push(swap.before);
  statements.push(insertEntry(entry, 'loaded', { id: loadId, rows: JSON.stringify(rows) }));
  if (swap && old) statements.push(swap.after, `DELETE FROM ${tracking.table.sql} WHERE load_id = ${old}`);
  if (values.length > 0) statements.push(`INSERT INTO ${tracking.table.sql} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${values.join(',\n')}`);
  const committed = await commitRows(conn, statements, logger, entry.setKey);
  if ('refused' in committed) return { kind: 'rejected', error: `${track.label}: refused by the database: ${committed.refused.message}` };
  return { kind: 'loaded', loadId, rows, replaced: old };
}
