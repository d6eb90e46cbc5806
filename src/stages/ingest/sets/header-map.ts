import type { CsvDialect } from '../../../adapters/csv/record-splitter.js';
import { NocturneError } from '../../../core/errors.js';
import type { SetPart } from '../../../config/schema.js';
import { isNumberText, MAX_PLAIN_DIGITS, shiftDecimal, wholeNumber } from './decimal.js';
import { casterFor, type LiteralCaster } from './hfc-casts.js';
import type { CatalogueTable, TableColumn } from './table-columns.js';

/** Columns the loader fills itself, never read from a CSV. */
export const LOAD_ID = 'load_id';
export const ROW_ORDINAL = 'row_ordinal';
export const FEAT_FILENAME = 'feat_filename';
/** The feature's local id as written (features only). */
export const LOCAL_ID = 'local_id';
/** jsonb of the headers a pipeline declares `extra`. */
export const EXTRA = 'extra';

/** How one member's writer writes its records, beyond the CSV syntax. */
export interface RecordRules {
  nullValues: ReadonlySet<string>;
  trim: boolean;
  /** Fields beyond the header tolerated when empty. */
  trailingEmptyFields: number;
  /** Normalised header of the column that takes back the extra fields of a record, if any. */
  overflow: string | undefined;
  /** The last record ends with a line end, as the writer ends every record: a file without one was cut short. */
  finalLineEnd: boolean;
}

/** Per-column rules of ingest.sets.columns. */
export interface ColumnRules {
  nullValues?: ReadonlySet<string>;
  scale?: number;
  integer?: 'round' | 'truncate';
}

/** How one member file's header maps onto its table. */
export interface MemberSpec {
  /** The member's key in ingest.sets (observations, features, ...), for messages. */
  part: string;
  table: CatalogueTable;
  /** The CSV syntax of the member's files (encodings checked). */
  dialect: CsvDialect;
  /** Normalised header of the placeholder id (replaced by the table's identity), if the file has one. */
  localId: string | undefined;
  /** Normalised header → what its value is a local id of. */
  references: ReadonlyMap<string, { of: SetPart; column: string }>;
  aliases: ReadonlyMap<string, string>;
  rules: RecordRules;
  columns: ReadonlyMap<string, ColumnRules>;
  /** Normalised headers read and dropped, and kept in the jsonb column extra. */
  ignore: ReadonlySet<string>;
  extra: ReadonlySet<string>;
  /** Columns filled by the loader (left out of the header check). */
  generated: readonly string[];
  /** Columns the loader fills with the file's base name when the header lacks them or holds a null (a feature's feat_filename). */
  fileNamed: readonly string[];
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
  /** Fields kept in the jsonb column extra: header as written, field index. */
  extras: { header: string; index: number }[];
  /** Index of the field that takes back a record's extra fields (RecordRules.overflow), or -1. */
  overflow: number;
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
  return header
    .replace(/^\uFEFF/, '')
    .replace(/^#/, '')
    .trim()
    .toUpperCase()
    .replace(/\s+/g, '_');
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
 * Maps a member's header onto its table: the local id, the references, the headers the
 * pipeline ignores or keeps in `extra`, and every other header to the column of the same
 * name in lower case, cast by that column's type. Headers with no column (all of them,
 * in one issue), a column named twice, or a NOT NULL column without a header (and
 * without a default) make the whole file unusable: `file:1:HEADER: reason`.
 */
export function mapHeader(label: string, header: readonly string[], spec: MemberSpec): HeaderMap {
  const values: ValueSlot[] = [];
  const references: ReferenceSlot[] = [];
  const extras: HeaderMap['extras'] = [];
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  let localId = -1;
  let overflow = -1;
  const table = spec.table;
  header.forEach((raw, index) => {
    const name = canonical(raw, spec.aliases);
    if (name === '') return;
    if (name === spec.rules.overflow) overflow = index;
    if (spec.ignore.has(name)) return;
    if (spec.extra.has(name)) {
      extras.push({ header: raw.trim(), index });
      return;
    }
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
    const nulls = spec.columns.get(ref?.column ?? name.toLowerCase())?.nullValues ?? spec.rules.nullValues;
    if (ref) {
      references.push({ header: raw.trim(), index, of: ref.of, column: column(ref.column), nulls });
      return;
    }
    const target = name.toLowerCase();
    if (spec.generated.includes(target) || table.identity?.name === target) {
      headerProblem(label, raw, `column ${target} of ${table.name} is filled by nocturne, not read from the file`);
    }
    if (!table.columns.has(target)) {
      unknown.push(raw.trim());
      return;
    }
    const col = column(target);
    const caster = casterFor(col);
    if (typeof caster === 'string') headerProblem(label, raw, caster);
    const rules = spec.columns.get(col.name);
    values.push({
      header: raw.trim(),
      index,
      column: col,
      caster: rules?.scale !== undefined || rules?.integer !== undefined ? coerced(caster, rules) : caster,
      nulls,
      trim: col.type !== 'text' && col.type !== 'varchar' && col.type !== 'bpchar',
    });
  });
  if (unknown.length > 0) {
    headerProblem(
      label,
      unknown[0]!,
      `table ${table.name} has no column for ${unknown.length === 1 ? 'header' : `${unknown.length} headers:`} ${unknown.join(', ')} ` +
        `(declare ${unknown.length === 1 ? 'it' : 'them'} in ingest.sets.${spec.part}.ignore or .extra, or add the column${unknown.length === 1 ? '' : 's'} to the table)`,
    );
  }
  if (extras.length > 0 && !table.columns.has(EXTRA)) {
    headerProblem(
      label,
      extras[0]!.header,
      `table ${table.name} has no jsonb column ${EXTRA} for the headers declared in ingest.sets.${spec.part}.extra`,
    );
  }
  if (spec.localId !== undefined && localId < 0) {
    headerProblem(label, spec.localId, `header has no column ${spec.localId} (the local id of each row)`);
  }
  for (const col of table.columns.values()) {
    if (col.notNull && !col.hasDefault && !seen.has(col.name) && !spec.generated.includes(col.name) && !spec.fileNamed.includes(col.name)) {
      headerProblem(
        label,
        col.name.toUpperCase(),
        `column ${col.name} of ${table.name} is NOT NULL but the header has no ${col.name.toUpperCase()}`,
      );
    }
  }
  return {
    values,
    references,
    extras,
    overflow,
    localId,
    localIdHeader: localId >= 0 ? header[localId]!.trim() : '',
    width: header.length,
    indexOf: (column) => values.find((slot) => slot.column.name === column)?.index ?? -1,
  };
}

/**
 * A caster applying the column's declared coercions first: the number as written scaled
 * by a power of ten (exactly), then made whole by the declared rule.
 */
function coerced(caster: LiteralCaster, rules: ColumnRules): LiteralCaster {
  const coerce = (v: string): string | undefined => {
    const scaled = shiftDecimal(v, Math.round(Math.log10(rules.scale ?? 1)));
    if (scaled === undefined) return undefined;
    return rules.integer ? wholeNumber(scaled, rules.integer) : scaled;
  };
  return {
    cast: (v) => {
      const out = coerce(v);
      return out === undefined ? undefined : caster.cast(out);
    },
    reason: (v) => {
      const out = coerce(v);
      if (out !== undefined) return `${caster.reason(out)} (read as ${out})`;
      return isNumberText(v) ? `"${v}" has more than ${MAX_PLAIN_DIGITS} digits written plainly` : `"${v}" is not a number`;
    },
  };
}

function headerProblem(label: string, header: string, reason: string): never {
  const column = header.trim();
  throw new NocturneError('CSV_INVALID', `${label}:1:${column}: ${reason}`, { details: { line: 1, column, reason } });
}
