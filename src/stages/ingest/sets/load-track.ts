import { pgp } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import type { Session } from '../common/connection.js';
import type { FileNameGrammar } from './file-names.js';
import { FEAT_FILENAME, LOAD_ID, LOCAL_ID } from './header-map.js';
import { columnList, rowValues, type SetTables } from './load-set.js';
import { SetIssues, type ParsedMember, type ParsedRow } from './parse-member.js';
import { clearProvisional, ledgerRow, type SetEntry } from './set-ledger.js';
import { inOrder, Phase, type SetStatement } from './set-statements.js';
import { commitRefused, commitRows, fastLock, oneMessage, openSet, replaceLedger } from './set-transaction.js';
import type { CatalogueTable } from './table-columns.js';
import type { SetGroups } from './set-groups.js';

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
  /** What the ledger said of the track file when the run began (see loadSet()'s). */
  ledger: { live: boolean; provisional: boolean };
  /** The run's group commit, which a new track file's one-message load joins. */
  groups: SetGroups;
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
export async function loadTrack(conn: Session, load: TrackToLoad): Promise<TrackResult> {
  const { tables, entry, track, grammar, issues, logger } = load;
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
    `SELECT s.set_key, ${recordedFeatures(features)} AS features FROM (${live}) s WHERE s.kind = 'set'`,
  ];
  const loadId = await tables.ids.ledger.one();
  const quick = load.ledger.live ? undefined : oneMessageLoad(load, setOf, keys, loadId);
  if (quick) {
    const alone = async () => (await oneMessage(conn, inOrder(quick.statements), logger, entry.setKey)) === undefined;
    const done = await load.groups.load(conn, quick.statements, entry.setKey, alone);
    if (done.grouped || done.result) return loaded(quick.mapped, loadId, undefined, load);
  }
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

  const mapped = trackRows(load, setOf, bySet, loadId, issues);
  if (!issues.empty) {
    await conn.none('ROLLBACK');
    return { kind: 'rejected' };
  }
  const old = opened.live?.id;
  // A waiting row (or a rejection for incompleteness) of this very content would collide with the loaded one: it goes first.
  const committed = await commitRows(
    conn,
    [clearProvisional(entry), ...inOrder(trackStatements(load, mapped, loadId, old))],
    logger,
    entry.setKey,
  );
  if ('refused' in committed) return { kind: 'rejected', error: `${track.label}: refused by the database: ${committed.refused.message}` };
  return loaded(mapped, loadId, old, load);
}

/** A track file's rows, ready to insert, and those not loaded (see loadTrack()). */
interface TrackRows {
  values: string[];
  /** Rows whose features their feat file does not list (featureId localId): "line (header id)". */
  absent: string[];
  rows: Record<string, number>;
  note: string | undefined;
}

/**
 * Each row of the track file with its references written as the ids of its features:
 * `bySet` holds, per feature set, the ids by ordinal or local id. A reference not found
 * is an issue (featureId rowOrdinal) or leaves its row out (localId).
 */
function trackRows(
  { tables, track }: TrackToLoad,
  setOf: (row: ParsedRow) => string,
  bySet: ReadonlyMap<string, ReadonlyMap<string, string>>,
  loadId: string,
  issues: SetIssues,
): TrackRows {
  const tracking = tables.tracking!;
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
  const note =
    absent.length > 0
      ? `${absent.length} rows not loaded: they name features their feat file does not list (its writer leaves out limb and oversized regions): line ${absent.slice(0, 20).join(', line ')}${absent.length > 20 ? ', ...' : ''}`
      : undefined;
  return { values, absent, rows: { [tracking.table.relname]: values.length }, note };
}

/**
 * The ledger row and the rows of a track file's load (replacing the live load `old`, if
 * any: never grouped, its statements go in their order).
 */
function trackStatements(
  { tables, entry, track }: TrackToLoad,
  mapped: TrackRows,
  loadId: string,
  old: string | undefined,
): SetStatement[] {
  const tracking = tables.tracking!;
  const statements: SetStatement[] = [];
  const swap = old === undefined ? undefined : replaceLedger(old, loadId);
  if (swap) statements.push({ phase: Phase.ledger, sql: swap.before });
  const ledger = ledgerRow(entry, 'loaded', {
    id: loadId,
    rows: JSON.stringify(mapped.rows),
    ...(mapped.note ? { error: mapped.note } : {}),
  });
  statements.push({ phase: Phase.ledger, head: ledger.head, rows: [ledger.row] });
  if (swap && old) {
    statements.push(
      { phase: Phase.ledger, sql: swap.after },
      { phase: Phase.tracking, sql: `DELETE FROM ${tracking.table.sql} WHERE load_id = ${old}` },
    );
  }
  if (mapped.values.length > 0) {
    statements.push({
      phase: Phase.tracking,
      head: `INSERT INTO ${tracking.table.sql} (${columnList(track, [LOAD_ID])}) VALUES `,
      rows: mapped.values,
    });
  }
  return statements;
}

/** A committed load's result; rows left out are logged. */
function loaded(mapped: TrackRows, loadId: string, replaced: string | undefined, { entry, track, logger }: TrackToLoad): TrackResult {
  if (mapped.note) logger.warn({ set: entry.setKey, loadId }, `${track.label}: ${mapped.note}`);
  return {
    kind: 'loaded',
    loadId,
    rows: mapped.rows,
    replaced,
    ...(mapped.absent.length > 0 ? { untrackable: mapped.absent.length } : {}),
  };
}

/**
 * A new track file's load in one message, when this run loaded every feature set it
 * names (see LoadedFeatures): its references are written from the ids the run drew for
 * those features. The message takes the file's lock, then, in a statement of its own,
 * locks the ledger rows of the loads this run committed FOR SHARE and checks that each
 * is still live (else a division by zero: the long way finds out why). A replace of one
 * of those sets begins by updating that row (replaceLedger()): it waits for this load to
 * commit, then finds its tracking rows and re-points them; a replace that came first
 * makes the check fail once it commits. While the row is live, its features are those
 * the run inserted: so it commits exactly what the long way would have, without looking
 * the features up. Undefined when a set is not known, or a reference is not found (the
 * long way reports it).
 */
function oneMessageLoad(
  load: TrackToLoad,
  setOf: (row: ParsedRow) => string,
  keys: readonly string[],
  loadId: string,
): { statements: SetStatement[]; mapped: TrackRows } | undefined {
  const { tables, entry, ledger } = load;
  const known = keys.map((key) => tables.loadedFeatures.get(key));
  if (keys.length === 0 || known.some((set) => set === undefined)) return undefined;
  const sets = known as NonNullable<(typeof known)[number]>[];
  const scratch = new SetIssues();
  const mapped = trackRows(load, setOf, new Map(keys.map((key, i) => [key, sets[i]!.ids])), loadId, scratch);
  if (!scratch.empty) return undefined;
  return {
    mapped,
    statements: [
      ...[
        fastLock(entry),
        ...(ledger.provisional ? [clearProvisional(entry)] : []),
        pgp.as.format(
          `SELECT 1 / (count(*) = $2)::int
             FROM (SELECT id FROM ingested_sets WHERE id = ANY($1::bigint[]) AND status = 'loaded' ORDER BY id FOR SHARE) s`,
          [sets.map((set) => set.loadId), keys.length],
        ),
      ].map((sql) => ({ phase: Phase.locks, sql })),
      ...trackStatements(load, mapped, loadId, undefined),
    ],
  };
}

/** How many features the ledger row of a set's live load `s` recorded. */
function recordedFeatures(features: CatalogueTable): string {
  return `coalesce((s.rows ->> ${pgp.as.text(features.relname)})::int, 0)`;
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
