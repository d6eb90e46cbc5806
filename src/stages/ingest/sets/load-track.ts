import { pgp } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import type { Connection } from '../common/connection.js';
import type { FileNameGrammar } from './file-names.js';
import { FEAT_FILENAME, LOAD_ID, LOCAL_ID } from './header-map.js';
import { columnList, rowValues, type SetTables } from './load-set.js';
import type { ParsedMember, ParsedRow, SetIssues } from './parse-member.js';
import { clearProvisional, insertEntry, type SetEntry } from './set-ledger.js';
import { commitRows, openSet, replaceLedger, commitRefused } from './set-transaction.js';

export type TrackResult =
  | { kind: 'busy' | 'done' }
  | {
      kind: 'loaded';
      loadId: string;
      rows: Record<string, number>;
      replaced: string | undefined;
      /** Rows not loaded: their features are not in their feat file (featureId localId). */
      untrackable?: number;
    }
  | { kind: 'refused'; error: string }
  /** Feature sets not loaded (yet): the track file waits for them. */
  | { kind: 'waiting'; missing: string[] }
  | { kind: 'rejected'; error?: string };

/** A parsed track file and what loading it needs. */
export interface TrackToLoad {
  tables: SetTables;
  entry: SetEntry;
  track: ParsedMember;
  grammar: FileNameGrammar;
  issues: SetIssues;
  logger: Logger;
}

interface FeatureRow {
  set_key: string;
  row_ordinal: number;
  local_id: string | null;
  id: string;
}

/**
 * Loads a track file in its own transaction. Each row names its feature set by
 * FEAT_FILENAME (see FileNameGrammar.featureSetKey(): the feat file, or SPoCA's map of
 * the same observation) and its feature by tracking.featureId: the row ordinal of the
 * feature in its feat file, or the local id the feat file wrote for it (SPoCA's ID_AR,
 * which numbers every region of the map while the feat file leaves out limb and
 * oversized regions). The features are those of the live load of that set in this
 * source. A feature set not loaded yet makes the track file wait. An ordinal past the
 * end of its file is a located issue; a local id the feat file does not list is a region
 * its writer left out: the row is not loaded, and the ledger row says so.
 */
export async function loadTrack(conn: Connection, { tables, entry, track, grammar, issues, logger }: TrackToLoad): Promise<TrackResult> {
  const tracking = tables.tracking!;
  const features = tables.features;
  const nameAt = track.map.indexOf(FEAT_FILENAME);
  if (nameAt < 0) {
    issues.add({
      file: track.label,
      line: 1,
      column: 'FEAT_FILENAME',
      reason: 'a track file needs FEAT_FILENAME: the file of the features its rows reference',
    });
    return { kind: 'rejected' };
  }
  const setOf = (row: ParsedRow) => grammar.featureSetKey(row.fields[nameAt]!.trim());
  if (!trackedOnce(track, setOf, issues)) return { kind: 'rejected' };
  const keys = [...new Set(track.rows.map(setOf))];
  const fid = features.identity?.name ?? 'id';
  // FOR KEY SHARE: a replace of these features waits for this load to commit (then
  // re-points its rows), and this lookup waits for a replace under way (then sees the
  // features gone: the track file waits for the new ones). Both lock in id order, or
  // each could hold a row the other waits for.
  // The features first, then (a statement of its own, so it sees what a replace waited
  // for committed) the live loads: a set is ready when the features found are as many as
  // its live load recorded; otherwise a replace is under way or just committed (its new
  // features not visible to the look-up): the track file waits for them.
  // Each set's live load is found by its key, one equality per key: with `set_key =
  // ANY(...)` the planner may take the source's loaded sets and filter them, a cost that
  // grows with the ledger (900 rows read per look-up in the bench).
  const live = keys
    .map((key) =>
      pgp.as.format(`SELECT id, set_key, kind, rows FROM ingested_sets WHERE source = $1 AND set_key = $2 AND status = 'loaded'`, [
        entry.source,
        key,
      ]),
    )
    .join('\n UNION ALL ');
  const lookup = [
    `SELECT s.set_key, f.row_ordinal, f.${LOCAL_ID} AS local_id, f."${fid}"::text AS id
       FROM (${live}) s JOIN ${features.sql} f ON f.load_id = s.id
      ORDER BY f."${fid}" FOR KEY SHARE OF f`,
    // Not formatted again: what `live` holds is already in it as literals.
    `SELECT s.set_key, coalesce((s.rows ->> ${pgp.as.text(features.relname)})::int, 0) AS features FROM (${live}) s WHERE s.kind = 'set'`,
  ];
  const opened = await openSet(conn, entry, lookup);
  if (opened.kind !== 'open') return opened;
  const bySet = new Map<string, Map<string, string>>();
  for (const row of opened.results[0] as FeatureRow[]) {
    let ids = bySet.get(row.set_key);
    if (!ids) bySet.set(row.set_key, (ids = new Map<string, string>()));
    const key = tracking.featureId === 'localId' ? row.local_id : String(row.row_ordinal);
    if (key !== null) ids.set(key, row.id);
  }
  const recorded = new Map((opened.results[1] as { set_key: string; features: number }[]).map((r) => [r.set_key, r.features]));
  const missing = keys.filter((key) => recorded.get(key) !== (bySet.get(key)?.size ?? 0));
  if (missing.length > 0) {
    await conn.none('ROLLBACK');
    return { kind: 'waiting', missing: missing.map((key) => `set ${key}`) };
  }
  if (opened.live && tables.reemitted === 'keep') return { kind: 'refused', error: await commitRefused(conn, entry, opened.live.id) };

  const loadId = await tables.ids.ledger.one();
  const absent: string[] = [];
  const values: string[] = [];
  for (const row of track.rows) {
    const key = setOf(row);
    const ids = bySet.get(key) ?? new Map<string, string>();
    let skip = false;
    const refs = track.map.references.map((ref) => {
      const raw = row.fields[ref.index]!;
      if (ref.nulls.has(raw)) return 'NULL';
      const id = ids.get(raw.trim());
      if (id !== undefined) return id;
      if (tracking.featureId === 'localId') {
        skip = true;
        absent.push(`${row.line} (${ref.header} ${raw.trim()})`);
      } else {
        issues.add({
          file: track.label,
          line: row.line,
          column: ref.header,
          value: raw,
          reason: `${raw.trim()} is not a row of the feat file of set ${key} (it has ${ids.size} features)`,
        });
      }
      return 'NULL';
    });
    if (!skip) values.push(`(${[loadId, ...rowValues(track, row, refs)].join(', ')})`);
  }
  if (!issues.empty) {
    await conn.none('ROLLBACK');
    return { kind: 'rejected' };
  }
  const rows = { [tracking.table.relname]: values.length };
  const note =
    absent.length > 0
      ? `${absent.length} rows not loaded: they name features their feat file does not list (its writer leaves out limb and oversized regions): line ${absent.slice(0, 20).join(', line ')}${absent.length > 20 ? ', ...' : ''}`
      : undefined;
  // A waiting row (or a rejection for incompleteness) of this very content would collide with the loaded one: it goes first.
  const statements: string[] = [clearProvisional(entry)];
  const old = opened.live?.id;
  const swap = old === undefined ? undefined : replaceLedger(old, loadId);
  if (swap) statements.push(swap.before);
  statements.push(insertEntry(entry, 'loaded', { id: loadId, rows: JSON.stringify(rows), ...(note ? { error: note } : {}) }));
  if (swap && old) statements.push(swap.after, `DELETE FROM ${tracking.table.sql} WHERE load_id = ${old}`);
  if (values.length > 0) {
    statements.push(`INSERT INTO ${tracking.table.sql} (${columnList(track, [LOAD_ID])}) VALUES ${values.join(',\n')}`);
  }
  const committed = await commitRows(conn, statements, logger, entry.setKey);
  if ('refused' in committed) return { kind: 'rejected', error: `${track.label}: refused by the database: ${committed.refused.message}` };
  if (note) logger.warn({ set: entry.setKey, loadId }, `${track.label}: ${note}`);
  return { kind: 'loaded', loadId, rows, replaced: old, ...(absent.length > 0 ? { untrackable: absent.length } : {}) };
}

/**
 * Whether no two rows of the track file name the same feature (same feature set, same
 * reference): a row written twice must not be loaded twice. Each repeat is an issue at
 * its line, naming the first.
 */
function trackedOnce(track: ParsedMember, setOf: (row: ParsedRow) => string, issues: SetIssues): boolean {
  const first = new Map<string, number>();
  let once = true;
  for (const row of track.rows) {
    const refs = track.map.references.filter((ref) => !ref.nulls.has(row.fields[ref.index]!));
    if (refs.length === 0) continue;
    const set = setOf(row);
    const ids = refs.map((ref) => row.fields[ref.index]!.trim());
    const key = [set, ...ids].join('\0');
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, row.line);
    else {
      once = false;
      issues.add({
        file: track.label,
        line: row.line,
        column: refs[0]!.header,
        value: ids[0]!,
        reason: `feature ${ids.join(', ')} of set ${set} already tracked on line ${earlier}`,
      });
    }
  }
  return once;
}
