import { EXTRA } from './header-map.js';
import { literal } from './hfc-casts.js';
import { byLocalId, type ParsedMember, type SetIssues } from './parse-member.js';
import type { CatalogueTable, NaturalKey } from './table-columns.js';

export type MetadataPart = 'frcInfo' | 'observatory';

/** One per-code metadata file (_frc_info.csv or _observatory.csv), parsed once per run. */
export interface MetadataFile {
  part: MetadataPart;
  table: CatalogueTable;
  naturalKey: NaturalKey;
  parsed: ParsedMember;
  /** Local id → row of the file. */
  byLocalId: Map<string, ParsedMember['rows'][number]>;
}

/**
 * A parsed metadata file, its rows by local id; a local id listed twice makes the file
 * unusable (a set's reference to it could not be resolved unambiguously): an issue.
 */
export function metadataFile(
  part: MetadataPart,
  table: CatalogueTable,
  naturalKey: NaturalKey,
  parsed: ParsedMember,
  issues: SetIssues,
): MetadataFile {
  return { part, table, naturalKey, parsed, byLocalId: byLocalId(parsed, issues, ": the sets' references to it are ambiguous") };
}

/**
 * Database ids of metadata rows already committed by this run, by file and local id.
 * frc_info and observatory rows are shared by all loads and never deleted, so an id
 * once committed stays right; ids resolved by a transaction that rolled back are never
 * kept.
 */
export class MetadataCache {
  readonly #ids = new Map<string, string>();

  get(file: MetadataFile, localId: string): string | undefined {
    return this.#ids.get(cacheKey(file, localId));
  }

  keep(resolved: ResolvedMetadata): void {
    for (const [key, id] of resolved.fresh) this.#ids.set(key, id);
  }
}

function cacheKey(file: MetadataFile, localId: string): string {
  return `${file.part}\0${file.parsed.label}\0${localId}`;
}

/** What one set needs of the metadata files: ids known already, and statements to resolve the others. */
export interface ResolvedMetadata {
  /** (part, local id) → database id, filled by takeResolved(). */
  ids: Map<string, string>;
  /** Statements for the set's transaction; each SELECT returns rows {part, local_id, id}. */
  statements: string[];
  /** Cache keys of ids resolved in this transaction, kept once it commits. */
  fresh: Map<string, string>;
}

export function idKey(part: MetadataPart, localId: string): string {
  return `${part}\0${localId}`;
}

/**
 * For the local ids a set uses: takes what the cache knows, and writes, for the rest,
 * `INSERT … ON CONFLICT DO NOTHING` then a SELECT by natural key (a separate statement,
 * so that it sees a row another loader committed meanwhile). A local id that its file
 * does not list is an issue located at the referencing field.
 */
export function planMetadata(
  wanted: ReadonlyMap<MetadataPart, Map<string, { file: string; line: number; column: string }>>,
  files: ReadonlyMap<MetadataPart, MetadataFile>,
  cache: MetadataCache,
  issues: SetIssues,
): ResolvedMetadata {
  const resolved: ResolvedMetadata = { ids: new Map(), statements: [], fresh: new Map() };
  for (const [part, localIds] of wanted) {
    const file = files.get(part);
    if (!file) continue;
    const missing: string[] = [];
    for (const [localId, where] of localIds) {
      const id = cache.get(file, localId);
      if (id !== undefined) resolved.ids.set(idKey(part, localId), id);
      else if (file.byLocalId.has(localId)) missing.push(localId);
      else issues.add({ ...where, value: localId, reason: `local id ${localId} is not listed in ${file.parsed.label}` });
    }
    if (missing.length > 0) resolved.statements.push(...resolveStatements(file, missing));
  }
  return resolved;
}

/**
 * The statements resolving `localIds` of a metadata file: an INSERT of their rows that,
 * on a row already there by the natural key, updates the columns the file gives when
 * their values differ (the trigger of the table keeps the old values in
 * metadata_history; the key columns keep their first spelling), then a SELECT of the ids
 * by the natural key as the index compares it.
 */
function resolveStatements(file: MetadataFile, localIds: readonly string[]): string[] {
  const { table, parsed, naturalKey } = file;
  const names = parsed.map.values.map((slot) => slot.column.name);
  const hasExtra = parsed.map.extras.length > 0;
  const columns = [...names, ...(hasExtra ? [EXTRA] : [])].map((n) => `"${n}"`);
  const rows = localIds.map((id) => {
    const row = file.byLocalId.get(id)!;
    return `(${[...row.values, ...(hasExtra ? [row.extra] : [])].join(', ')})`;
  });
  const keyIndex = naturalKey.columns.map((name) => names.indexOf(name));
  const keyTypes = naturalKey.columns.map((name) => table.columns.get(name)?.display ?? 'text');
  const keyed = localIds.map((id) => {
    const values = file.byLocalId.get(id)!.values;
    const key = keyIndex.map((at, k) => `${at < 0 ? 'NULL' : values[at]}::${keyTypes[k]}`);
    return `(${literal(id)}, ${key.join(', ')})`;
  });
  const target = naturalKey.columns.map((name, k) => naturalKey.compare[k]!(`"${name}"`)).join(', ');
  const updated = columns.filter((c) => !naturalKey.columns.includes(c.slice(1, -1)));
  const onConflict =
    updated.length === 0
      ? `ON CONFLICT (${target}) DO NOTHING`
      : `ON CONFLICT (${target}) DO UPDATE SET ${updated.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
          WHERE (${updated.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${updated.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  const on = naturalKey.columns
    .map((name, k) => `${naturalKey.compare[k]!(`t."${name}"`)} IS NOT DISTINCT FROM ${naturalKey.compare[k]!(`v.k${k}`)}`)
    .join(' AND ');
  const identity = table.identity?.name ?? 'id';
  return [
    `INSERT INTO ${table.sql} AS t (${columns.join(', ')}) VALUES ${rows.join(', ')} ${onConflict}`,
    `SELECT '${file.part}' AS part, v.local_id, t."${identity}"::text AS id
       FROM (VALUES ${keyed.join(', ')}) v(local_id, ${naturalKey.columns.map((_, k) => `k${k}`).join(', ')}) JOIN ${table.sql} t ON ${on}`,
  ];
}

export interface ResolvedRow {
  part: MetadataPart;
  local_id: string;
  id: string;
}

/** Takes the rows of the SELECTs of resolveStatements() into `resolved`. */
export function takeResolved(
  resolved: ResolvedMetadata,
  files: ReadonlyMap<MetadataPart, MetadataFile>,
  rows: readonly ResolvedRow[],
): void {
  for (const row of rows) {
    resolved.ids.set(idKey(row.part, row.local_id), row.id);
    const file = files.get(row.part);
    if (file) resolved.fresh.set(cacheKey(file, row.local_id), row.id);
  }
}
