import { NocturneError } from '../../../core/errors.js';
import type { SetPart } from '../../../config/schema.js';
import { casterFor, type LiteralCaster } from './hfc-casts.js';
import type { CatalogueTable, TableColumn } from './table-columns.js';

/** Columns the loader fills itself, never read from a CSV. */
export const LOAD_ID = 'load_id';
export const ROW_ORDINAL = 'row_ordinal';
export const FEAT_FILENAME = 'feat_filename';

/** How one member file's header maps onto its table. */
export interface MemberSpec {
  table: CatalogueTable;
  /** Normalised header of the placeholder id (replaced by the table's identity), if the file has one. */
  localId: string | undefined;
  /** Normalised header → what its value is a local id of. */
  references: ReadonlyMap<string, { of: SetPart; column: string }>;
  aliases: ReadonlyMap<string, string>;
  nullValues: ReadonlySet<string>;
  columnNulls: ReadonlyMap<string, ReadonlySet<string>>;
  /** Columns filled by the loader (left out of the header check). */
  generated: readonly string[];
  /** Columns the loader fills when the header lacks them (a feature's feat_filename: its file's name). */
  filledIfAbsent: readonly string[];
}

export interface ValueSlot {
  header: string;
  index: number;
  column: TableColumn;
  caster: LiteralCaster;
  nulls: ReadonlySet<string>;
  /** Numbers, booleans and timestamps are read without surrounding spaces. */
  trim: boolean;
}

export interface ReferenceSlot {
  header: string;
  index: number;
  of: SetPart;
  column: TableColumn;
  nulls: ReadonlySet<string>;
}

export interface HeaderMap {
  values: ValueSlot[];
  references: ReferenceSlot[];
  /** Index of the local id field, or -1. */
  localId: number;
  /** The local id's header as written in the file ('' without one), for messages. */
  localIdHeader: string;
  width: number;
  /** Index of the field of `column` (value slots only), or -1. */
  indexOf(column: string): number;
}

/** "#Id", " name code " → "ID", "NAME_CODE": how headers are compared. */
export function normaliseHeader(header: string): string {
  return header.replace(/^\uFEFF/, '').replace(/^#/, '').trim().toUpperCase().replace(/\s+/g, '_');
}

/** The references of a member by canonical header; the parts they name were checked with the configuration. */
export function referenceMap(
  references: Record<string, string | { of: string; column: string }>,
  aliases: ReadonlyMap<string, string>,
): Map<string, { of: SetPart; column: string }> {
  return new Map(
    Object.entries(references).map(([header, ref]) => {
      const name = canonical(header, aliases);
      const { of, column } = typeof ref === 'string' ? { of: ref, column: name.toLowerCase() } : ref;
      return [name, { of: of as SetPart, column }];
    }),
  );
}

export function canonical(header: string, aliases: ReadonlyMap<string, string>): string {
  const name = normaliseHeader(header);
  return aliases.get(name) ?? name;
}

/**
 * Maps a member's header onto its table: the local id, the references, and every other
 * header to the column of the same name in lower case, cast by that column's type. A
 * header with no column, a column named twice, or a NOT NULL column without a header
 * (and without a default) makes the whole file unusable: `file:1:HEADER: reason`.
 */
export function mapHeader(label: string, header: readonly string[], spec: MemberSpec): HeaderMap {
  const values: ValueSlot[] = [];
  const references: ReferenceSlot[] = [];
  const seen = new Map<string, string>();
  let localId = -1;
  const table = spec.table;
  header.forEach((raw, index) => {
    const name = canonical(raw, spec.aliases);
    if (name === '') return;
    const column = (target: string): TableColumn => {
      const found = table.columns.get(target);
      if (!found) headerProblem(label, raw, `table ${table.name} has no column ${target}`);
      const earlier = seen.get(target);
      if (earlier !== undefined) headerProblem(label, raw, `column ${target} is already given by header ${earlier}`);
      seen.set(target, raw.trim());
      return found;
    };
    if (name === spec.localId) {
      if (localId >= 0) headerProblem(label, raw, `the local id ${name} appears twice`);
      localId = index;
      return;
    }
    const ref = spec.references.get(name);
    const nulls = spec.columnNulls.get(ref?.column ?? name.toLowerCase()) ?? spec.nullValues;
    if (ref) {
      references.push({ header: raw.trim(), index, of: ref.of, column: column(ref.column), nulls });
      return;
    }
    const target = name.toLowerCase();
    if (spec.generated.includes(target) || table.identity?.name === target) {
      headerProblem(label, raw, `column ${target} of ${table.name} is filled by nocturne, not read from the file`);
    }
    const col = column(target);
    const caster = casterFor(col);
    if (typeof caster === 'string') headerProblem(label, raw, caster);
    values.push({ header: raw.trim(), index, column: col, caster, nulls, trim: col.type !== 'text' && col.type !== 'varchar' && col.type !== 'bpchar' });
  });
  if (spec.localId !== undefined && localId < 0) {
    headerProblem(label, spec.localId, `header has no column ${spec.localId} (the local id of each row)`);
  }
  for (const col of table.columns.values()) {
    if (col.notNull && !col.hasDefault && !seen.has(col.name) && !spec.generated.includes(col.name) && !spec.filledIfAbsent.includes(col.name)) {
      headerProblem(label, col.name.toUpperCase(), `column ${col.name} of ${table.name} is NOT NULL but the header has no ${col.name.toUpperCase()}`);
    }
  }
  return {
    values,
    references,
    localId,
    localIdHeader: localId >= 0 ? header[localId]!.trim() : '',
    width: header.length,
    indexOf: (column) => values.find((slot) => slot.column.name === column)?.index ?? -1,
  };
}

function headerProblem(label: string, header: string, reason: string): never {
  const column = header.trim();
  throw new NocturneError('CSV_INVALID', `${label}:1:${column}: ${reason}`, { details: { line: 1, column, reason } });
}
