import type { Logger } from '../../../log/logger.js';
import { pgp } from '../../../db/database.js';
import type { Session } from '../common/connection.js';
import { EXTRA, FEAT_FILENAME, LOAD_ID, LOCAL_ID, ROW_ORDINAL, type ReferenceSlot } from './header-map.js';
import { literal } from './hfc-casts.js';
import {
  idKey,
  planMetadata,
  takeResolved,
  type MetadataCache,
  type MetadataFile,
  type MetadataPart,
  type ResolvedRow,
} from './metadata.js';
import { byLocalId, type ParsedMember, type ParsedRow, type SetIssues } from './parse-member.js';
import { clearProvisional, ledgerRow, type SetEntry } from './set-ledger.js';
import { inOrder, Phase, type SetStatement } from './set-statements.js';
import type { IdPool } from './id-pool.js';
import type { LoadedFeatures } from './loaded-features.js';
import { commitRefused, commitRows, fastLock, fastPathRefusal, oneMessage, openSet, replaceLedger } from './set-transaction.js';
import type { SetGroups } from './set-groups.js';
import type { CatalogueTable } from './table-columns.js';

/** What a run knows of its pipeline's catalogue, for every set it loads. */
export interface SetTables {
  observations: CatalogueTable;
  features: CatalogueTable;
  /** The tracking table, its column holding the feature's id, and what a track row's reference holds. */
  tracking: { table: CatalogueTable; featureColumn: string; featureId: 'rowOrdinal' | 'localId' } | undefined;
  reemitted: 'replace' | 'keep';
  /** Ids drawn ahead: load ids (the ledger's), observation ids, and feature ids when track files refer to features. */
  ids: { ledger: IdPool; observations: IdPool; features: IdPool | undefined };
  /** The features this run loaded, for its track files. */
  loadedFeatures: LoadedFeatures;
}

export interface CompleteSet {
  entry: SetEntry;
  init: ParsedMember;
  feat: ParsedMember | undefined;
  /** Base name of the feat file: the features' feat_filename when the file has no FEAT_FILENAME. */
  featName: string | undefined;
  metadata: ReadonlyMap<MetadataPart, MetadataFile>;
  /** What the ledger said of the set key when the run began. */
  ledger: { live: boolean; provisional: boolean };
}

export type SetResult =
  | { kind: 'busy' | 'done' }
  | {
      kind: 'loaded';
      loadId: string;
      rows: Record<string, number>;
      replaced: string | undefined;
      /** Tracking rows removed with features the new content no longer has, per track file. */
      untracked?: Untracked[];
    }
  | { kind: 'refused'; error: string }
  /** Bad content: issues were added; `error` is a refusal by the database, if that is what it was. */
  | { kind: 'rejected'; error?: string };

export interface Untracked {
  /** The track file (its set key) whose rows pointed at the vanished features. */
  track: string;
  rows: number;
}

/**
 * Loads one complete set (init, and feat when features were detected) in ONE
 * transaction: metadata resolved by natural key, observations inserted under ids drawn
 * beforehand (so the features' references are rewritten in the same message), features
 * inserted with their row ordinal, every row carrying the load id, and the ledger row
 * written in the same transaction. A new set whose metadata this run already resolved
 * takes one round trip; otherwise two: the first resolves the metadata and reads the
 * ledger under the lock, the second deletes a replaced load's rows (tracking rows
 * re-pointed to the new features) and inserts the new ones.
 */
export async function loadSet(
  conn: Session,
  tables: SetTables,
  set: CompleteSet,
  cache: MetadataCache,
  issues: SetIssues,
  logger: Logger,
  groups: SetGroups,
): Promise<SetResult> {
  const { init, feat } = set;
  if (init.rows.length === 0 && issues.empty) {
    issues.add({ file: init.label, line: 0, reason: 'no observation rows (an init file lists at least one observation)' });
  }
  const wanted = new Map<MetadataPart, Map<string, { file: string; line: number; column: string }>>();
  const localIds = byLocalId(init, issues);
  collectMetadata(init, wanted);
  if (feat) {
    collectMetadata(feat, wanted);
    checkObservationRefs(feat, localIds, init.label, issues);
    byLocalId(feat, issues);
  }
  const metadata = planMetadata(wanted, set.metadata, cache, issues);
  if (!issues.empty) return { kind: 'rejected' };

  const loadId = await tables.ids.ledger.one();
  const obsIds = await tables.ids.observations.take(init.rows.length);
  const featIds = feat && tables.ids.features ? await tables.ids.features.take(feat.rows.length) : undefined;
  const byLocal = new Map([...localIds.keys()].map((local, i) => [local, obsIds[i]!]));
  const ids = (part: MetadataPart | 'observations', local: string) =>
    part === 'observations' ? byLocal.get(local) : metadata.ids.get(idKey(part, local));
  const rows: Record<string, number> = { [tables.observations.relname]: init.rows.length };
  if (feat) rows[tables.features.relname] = feat.rows.length;
  // A replace (old) is never grouped: its statements go in their order, their phases unused.
  const load = (old: string | undefined): SetStatement[] => {
    const swap = old === undefined ? undefined : replaceLedger(old, loadId);
    const ledger = ledgerRow(set.entry, 'loaded', { id: loadId, rows: JSON.stringify(rows) });
    return [
      ...(swap ? [{ phase: Phase.ledger, sql: swap.before }] : []),
      { phase: Phase.ledger, head: ledger.head, rows: [ledger.row] },
      ...(swap && old ? [swap.after, ...retire(tables, old)].map((sql) => ({ phase: Phase.ledger, sql })) : []),
      insertObservations(tables.observations, init, obsIds, loadId, ids),
      ...(feat && feat.rows.length > 0 ? [insertFeatures(tables.features, feat, set.featName ?? '', loadId, ids, featIds)] : []),
      ...(old && tables.tracking
        ? [repoint(tables, loadId), untrack(tables, set.entry.setKey, loadId)].map((sql) => ({ phase: Phase.tracking, sql }))
        : []),
    ];
  };
  // Once committed, the features' ids are kept for the track files of this run.
  const remember = (result: SetResult): SetResult => {
    if (result.kind === 'loaded' && feat && featIds) {
      tables.loadedFeatures.keep(set.entry.setKey, { loadId, ids: featureIds(tables, feat, featIds) });
    }
    return result;
  };
  const refusal = (err: Error): SetResult => ({
    kind: 'rejected',
    error: `${refusedIn(err, tables, set)}: refused by the database: ${err.message}`,
  });

  // The usual case, a set never seen with its metadata known: one message, one round trip,
  // shared with the sets loading meanwhile (see SetGroups).
  if (!set.ledger.live && metadata.statements.length === 0) {
    const loaded: SetResult = { kind: 'loaded', loadId: loadId, rows, replaced: undefined };
    const statements: SetStatement[] = [
      { phase: Phase.locks, sql: fastLock(set.entry) },
      ...(set.ledger.provisional ? [{ phase: Phase.locks, sql: clearProvisional(set.entry) }] : []),
      ...load(undefined),
    ];
    const alone = async (): Promise<SetResult | undefined> => {
      const err = await oneMessage(conn, inOrder(statements), logger, set.entry.setKey);
      if (!err) return loaded;
      const why = fastPathRefusal(err);
      if (why === 'busy' || why === 'done') return { kind: why };
      if (why === 'data') return refusal(err);
      if (why === 'other') throw err;
      return undefined;
    };
    const done = await groups.load(conn, statements, set.entry.setKey, alone);
    if (done.grouped) return remember(loaded);
    if (done.result) return remember(done.result);
  }

  const opened = await openSet(conn, set.entry, metadata.statements);
  if (opened.kind !== 'open') return opened;
  // The metadata statements come in pairs: INSERT, then the SELECT of the ids.
  // Every row is found by its natural key after its INSERT ... ON CONFLICT (a row another
  // unique key turns away fails the statement: the database refuses the set).
  takeResolved(metadata, set.metadata, opened.results.filter((_, i) => i % 2 === 1).flat() as ResolvedRow[]);
  if (opened.live && tables.reemitted === 'keep') return { kind: 'refused', error: await commitRefused(conn, set.entry, opened.live.id) };
  // A waiting row (or a rejection for incompleteness) of this very content would collide with the loaded one: it goes first.
  const statements = [clearProvisional(set.entry), ...inOrder(load(opened.live?.id))];
  const committed = await commitRows(conn, statements, logger, set.entry.setKey);
  if ('refused' in committed) return refusal(committed.refused);
  cache.keep(metadata);
  const untracked = opened.live && tables.tracking ? (committed.results[statements.length - 1] as Untracked[]) : [];
  return remember({ kind: 'loaded', loadId: loadId, rows, replaced: opened.live?.id, ...(untracked.length > 0 ? { untracked } : {}) });
}

function collectMetadata(
  member: ParsedMember,
  wanted: Map<MetadataPart, Map<string, { file: string; line: number; column: string }>>,
): void {
  for (const ref of member.map.references) {
    if (ref.of !== 'frcInfo' && ref.of !== 'observatory') continue;
    let ids = wanted.get(ref.of);
    if (!ids) wanted.set(ref.of, (ids = new Map<string, { file: string; line: number; column: string }>()));
    for (const row of member.rows) {
      const local = row.fields[ref.index]!.trim();
      if (!ref.nulls.has(row.fields[ref.index]!) && !ids.has(local)) {
        ids.set(local, { file: member.label, line: row.line, column: ref.header });
      }
    }
  }
}

function checkObservationRefs(feat: ParsedMember, localIds: ReadonlyMap<string, ParsedRow>, initLabel: string, issues: SetIssues): void {
  for (const ref of feat.map.references) {
    if (ref.of !== 'observations') continue;
    for (const row of feat.rows) {
      const raw = row.fields[ref.index]!;
      if (ref.nulls.has(raw) || localIds.has(raw.trim())) continue;
      issues.add({
        file: feat.label,
        line: row.line,
        column: ref.header,
        value: raw,
        reason: `no observation with local id ${raw.trim()} in ${initLabel}`,
      });
    }
  }
}

type IdOf = (part: MetadataPart | 'observations', local: string) => string | undefined;

/** The referenced ids of a row, in map.references order. */
function referenceValues(references: readonly ReferenceSlot[], row: ParsedRow, ids: IdOf): string[] {
  return references.map((ref) => {
    const raw = row.fields[ref.index]!;
    if (ref.nulls.has(raw)) return 'NULL';
    // Every reference was checked resolved: see checkObservationRefs() and unresolved().
    return ids(ref.of as MetadataPart | 'observations', raw.trim())!;
  });
}

/** The columns of a member's rows: generated ones, references, values, then extra when the file has declared extra headers. */
export function columnList(member: ParsedMember, generated: readonly string[]): string {
  return [
    ...generated,
    ...member.map.references.map((r) => r.column.name),
    ...member.map.values.map((v) => v.column.name),
    ...(member.map.extras.length > 0 ? [EXTRA] : []),
  ]
    .map((name) => `"${name}"`)
    .join(', ');
}

/** A row's referenced ids, values and extra, in columnList() order after the generated columns. */
export function rowValues(member: ParsedMember, row: ParsedRow, references: string[]): string[] {
  return [...references, ...row.values, ...(member.map.extras.length > 0 ? [row.extra] : [])];
}

function insertObservations(table: CatalogueTable, init: ParsedMember, drawn: readonly string[], loadId: string, ids: IdOf): SetStatement {
  const identity = table.identity?.name ?? 'id';
  return {
    phase: Phase.observations,
    head: `INSERT INTO ${table.sql} (${columnList(init, [identity, LOAD_ID])}) OVERRIDING SYSTEM VALUE VALUES `,
    rows: init.rows.map(
      (row, i) => `(${[drawn[i]!, loadId, ...rowValues(init, row, referenceValues(init.map.references, row, ids))].join(', ')})`,
    ),
  };
}

/**
 * The features with the loader's own columns: load id, row ordinal, the local id as the
 * file wrote it, and feat_filename from the file's name when the file has no
 * FEAT_FILENAME (when it holds a null marker, parseMember() fills it).
 */
function insertFeatures(
  table: CatalogueTable,
  feat: ParsedMember,
  featName: string,
  loadId: string,
  ids: IdOf,
  drawn: readonly string[] | undefined,
): SetStatement {
  const fillName = feat.map.indexOf(FEAT_FILENAME) < 0 && table.columns.has(FEAT_FILENAME);
  const localId = storesLocalId(table, feat);
  const generated = [
    ...(drawn ? [table.identity?.name ?? 'id'] : []),
    LOAD_ID,
    ROW_ORDINAL,
    ...(localId ? [LOCAL_ID] : []),
    ...(fillName ? [FEAT_FILENAME] : []),
  ];
  const name = literal(featName);
  return {
    phase: Phase.features,
    head: `INSERT INTO ${table.sql} (${columnList(feat, generated)}) ${drawn ? 'OVERRIDING SYSTEM VALUE ' : ''}VALUES `,
    rows: feat.rows.map((row, i) => {
      const fixed = [
        ...(drawn ? [drawn[i]!] : []),
        loadId,
        String(i + 1),
        ...(localId ? [literal(row.fields[feat.map.localId]!.trim())] : []),
        ...(fillName ? [name] : []),
      ];
      return `(${[...fixed, ...rowValues(feat, row, referenceValues(feat.map.references, row, ids))].join(', ')})`;
    }),
  };
}

/** Whether the features' table keeps the local id the feat file wrote. */
function storesLocalId(table: CatalogueTable, feat: ParsedMember): boolean {
  return table.columns.has(LOCAL_ID) && feat.map.localId >= 0;
}

/** The ids drawn for a feat file's features, by what a track file names them with (see featureKey()). */
function featureIds(tables: SetTables, feat: ParsedMember, drawn: readonly string[]): Map<string, string> {
  const byKey = new Map<string, string>();
  const localId = storesLocalId(tables.features, feat);
  feat.rows.forEach((row, i) => {
    if (tables.tracking?.featureId === 'rowOrdinal') byKey.set(String(i + 1), drawn[i]!);
    else if (localId) byKey.set(row.fields[feat.map.localId]!.trim(), drawn[i]!);
  });
  return byKey;
}

const RETRACK = 'nocturne_retrack';

/**
 * Deletes the rows of the load being replaced. Tracking rows (written by track files,
 * loads of their own) that point at its features are kept aside first, with the
 * (feat_filename, row_ordinal) of their feature, to be re-pointed by repoint(). The
 * features are locked first: a track load holding them (FOR KEY SHARE, by its lookup
 * or its foreign keys) commits before its rows are kept aside, none starts after; a
 * track load in one message holds the ledger row of this load instead (FOR SHARE), which
 * the replace updated first (replaceLedger()), so it committed before as well. Then
 * the ledger rows of the track loads pointing at them, in id order: a replace of such a
 * track file (which locks its old ledger row before deleting its rows) either commits
 * first, its rows gone before they are kept aside, or waits for this one; never both
 * holding what the other needs.
 */
function retire(tables: SetTables, oldId: string): string[] {
  const { features, observations, tracking } = tables;
  const fid = features.identity?.name ?? 'id';
  const statements: string[] = [];
  if (tracking) {
    const on = `t."${tracking.featureColumn}" = f."${fid}"`;
    statements.push(
      `SELECT 1 FROM ${features.sql} WHERE load_id = ${oldId} ORDER BY "${fid}" FOR UPDATE`,
      `SELECT 1 FROM ingested_sets WHERE id IN (SELECT t.load_id FROM ${tracking.table.sql} t JOIN ${features.sql} f ON ${on} WHERE f.load_id = ${oldId})
        ORDER BY id FOR UPDATE`,
      `CREATE TEMP TABLE ${RETRACK} ON COMMIT DROP AS
         SELECT t.*, ${featureKey(tracking, 'f')} AS nocturne_key
           FROM ${tracking.table.sql} t JOIN ${features.sql} f ON ${on} WHERE f.load_id = ${oldId}`,
      `DELETE FROM ${tracking.table.sql} t USING ${features.sql} f WHERE ${on} AND f.load_id = ${oldId}`,
    );
  }
  statements.push(`DELETE FROM ${features.sql} WHERE load_id = ${oldId}`, `DELETE FROM ${observations.sql} WHERE load_id = ${oldId}`);
  return statements;
}

/** How a replace finds a tracked feature again in the new content of its set: by row ordinal, or by local id (tracking.featureId). */
function featureKey(tracking: NonNullable<SetTables['tracking']>, alias: string): string {
  return tracking.featureId === 'localId' ? `${alias}.${LOCAL_ID}` : `${alias}.${ROW_ORDINAL}::text`;
}

/** Puts back the tracking rows kept aside by retire(), pointing at the new load's features (same ordinal, or same local id). */
function repoint(tables: SetTables, loadId: string): string {
  const { features, tracking } = tables;
  const fid = features.identity?.name ?? 'id';
  const columns = [...tracking!.table.columns.keys()];
  const values = columns.map((c) => (c === tracking!.featureColumn ? `f."${fid}"` : `r."${c}"`));
  return `INSERT INTO ${tracking!.table.sql} (${columns.map((c) => `"${c}"`).join(', ')}) OVERRIDING SYSTEM VALUE
          SELECT ${values.join(', ')} FROM ${RETRACK} r
            JOIN ${features.sql} f ON ${featureKey(tracking!, 'f')} = r.nocturne_key AND f.load_id = ${loadId}`;
}

/**
 * The tracking rows kept aside by retire() that repoint() could not put back (the new
 * content has fewer features): their track files' ledger rows say so (their `rows` stay
 * what was inserted, like a replaced set's), and the statement returns them (last of
 * the load: see loadSet()).
 */
function untrack(tables: SetTables, setKey: string, loadId: string): string {
  const { features } = tables;
  const why = `tracking rows removed with their features when ${setKey} was replaced by load ${loadId}`;
  return pgp.as.format(
    `WITH lost AS (
       SELECT r.load_id, count(*) AS n FROM ${RETRACK} r
        WHERE NOT EXISTS (SELECT 1 FROM ${features.sql} f WHERE ${featureKey(tables.tracking!, 'f')} = r.nocturne_key AND f.load_id = $2)
        GROUP BY r.load_id)
     UPDATE ingested_sets s SET error = concat_ws('; ', s.error, lost.n || ' ' || $1)
       FROM lost WHERE s.id = lost.load_id
     RETURNING s.set_key AS track, lost.n::int AS rows`,
    [why, loadId],
  );
}

/** The member whose rows the database refused, as far as its error says (a trigger's RAISE names no table: the set). */
function refusedIn(err: Error, tables: SetTables, set: CompleteSet): string {
  const table = (err as { table?: string }).table;
  if (table === tables.features.relname && set.feat) return set.feat.label;
  return table === tables.observations.relname ? set.init.label : set.entry.setKey;
}
