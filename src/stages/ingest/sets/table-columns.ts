import { NocturneError } from '../../../core/errors.js';
import type { Db } from '../../../db/database.js';
import { databaseError } from '../../../db/errors.js';

/** One column of a catalogue table, as pg_attribute describes it. */
export interface TableColumn {
  name: string;
  /** pg_type.typname of the column, or of its elements for an array ("int4", "float8", "text"...). */
  type: string;
  /** The element type of an array column, else null. */
  elementType: string | null;
  /** varchar(n): n; else null. */
  maxChars: number | null;
  notNull: boolean;
  /** Filled by the database when left out: identity, default or generated. */
  hasDefault: boolean;
  identity: boolean;
  /** format_type(), for messages. */
  display: string;
}

export interface CatalogueTable {
  /** "schema"."table", quoted. */
  sql: string;
  /** schema.table, for messages. */
  name: string;
  /** The table's own name (keys of the ledger's row counts). */
  relname: string;
  columns: Map<string, TableColumn>;
  /** The identity column (the table's own id), if any. */
  identity: TableColumn | undefined;
}

interface Row {
  table: string;
  name: string;
  typname: string;
  elemname: string | null;
  typmod: number;
  not_null: boolean;
  has_default: boolean;
  identity: boolean;
  display: string;
}

/** The columns of `tables` of `schema`, read once per run; a missing table is a config error (validate --db locates it). */
export async function readCatalogue(db: Db, schema: string, tables: readonly string[]): Promise<Map<string, CatalogueTable>> {
  let rows: Row[];
  try {
    rows = await db.any<Row>(
      `SELECT c.relname AS table, a.attname AS name, t.typname, e.typname AS elemname, a.atttypmod AS typmod,
              a.attnotnull AS not_null, (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default,
              a.attidentity <> '' AS identity, format_type(a.atttypid, a.atttypmod) AS display
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
        WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')
        ORDER BY c.relname, a.attnum`,
      [schema, tables],
    );
  } catch (err) {
    throw databaseError(err, `reading the columns of catalogue ${schema}`);
  }
  const found = new Map<string, CatalogueTable>();
  for (const row of rows) {
    let table = found.get(row.table);
    if (!table) {
      table = {
        sql: `"${schema}"."${row.table}"`,
        name: `${schema}.${row.table}`,
        relname: row.table,
        columns: new Map(),
        identity: undefined,
      };
      found.set(row.table, table);
    }
    const column: TableColumn = {
      name: row.name,
      type: row.elemname ?? row.typname,
      elementType: row.elemname,
      maxChars: row.typname === 'varchar' && row.typmod > 4 ? row.typmod - 4 : null,
      notNull: row.not_null,
      hasDefault: row.has_default,
      identity: row.identity,
      display: row.display,
    };
    table.columns.set(row.name, column);
    if (column.identity) table.identity = column;
  }
  const missing = tables.filter((t) => !found.has(t));
  if (missing.length > 0) {
    throw new NocturneError(
      'CONFIG_INVALID',
      `catalogue ${schema} has no table ${missing.join(', ')} (install it: sql/catalogue/install.psql)`,
    );
  }
  return found;
}

/** How a natural key is matched: per key column, the SQL its index compares (the value, or nk(value)). */
export interface NaturalKey {
  columns: readonly string[];
  /** Per column: SQL of a value → SQL the index compares ("x" → "hfc".nk(x) for a normalised column). */
  compare: readonly ((sql: string) => string)[];
}

/**
 * The unique index `key` is matched by, or why there is none: metadata rows are inserted
 * ON CONFLICT on it and then found by it, so it must index exactly the key columns
 * (each as itself or normalised as nk(column)), and treat NULLs as equal (NULLS NOT
 * DISTINCT) when a key column may be NULL (else each load would insert the row again).
 */
export async function naturalKeyIndex(db: Db, table: CatalogueTable, key: readonly string[]): Promise<NaturalKey | string> {
  const absent = key.filter((column) => !table.columns.has(column));
  if (absent.length > 0) return `table ${table.name} has no column ${absent.join(', ')}`;
  let indexes: { name: string; definitions: string[]; nulls_not_distinct: boolean }[];
  try {
    indexes = await db.any(
      `SELECT i.indexrelid::regclass::text AS name, i.indnullsnotdistinct AS nulls_not_distinct,
              array(SELECT pg_get_indexdef(i.indexrelid, k, false) FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS definitions
         FROM pg_index i
        WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL`,
      [table.sql],
    );
  } catch (err) {
    throw databaseError(err, `reading the unique indexes of ${table.name}`);
  }
  const schema = table.sql.slice(0, table.sql.indexOf('.'));
  const wanted = [...key].sort().join(',');
  const exact = indexes
    .map((index) => ({ ...index, parts: index.definitions.map(indexPart) }))
    .filter(
      (index) =>
        index.parts.every((p) => p !== undefined) &&
        index.parts
          .map((p) => p.column)
          .sort()
          .join(',') === wanted,
    );
  if (exact.length === 0) {
    return `table ${table.name} has no unique index on exactly (${key.join(', ')}) (each column as itself or as nk(column))`;
  }
  const nullable = key.filter((column) => !table.columns.get(column)!.notNull);
  const usable = nullable.length === 0 ? exact[0]! : exact.find((index) => index.nulls_not_distinct);
  if (!usable) {
    return `unique index ${exact[0]!.name} on (${key.join(', ')}) treats NULLs as distinct, and ${nullable.join(', ')} may be NULL: declare it UNIQUE NULLS NOT DISTINCT`;
  }
  const byColumn = new Map(usable.parts.map((p) => [p!.column, p!.normalised]));
  return {
    columns: key,
    compare: key.map((column) => (byColumn.get(column) ? (sql: string) => `${schema}.nk(${sql})` : (sql: string) => sql)),
  };
}

/** An index column as pg_get_indexdef() writes it: a column, or nk(column) (possibly schema-qualified). */
function indexPart(definition: string): { column: string; normalised: boolean } | undefined {
  const plain = /^"?([a-z_][a-z0-9_]*)"?$/.exec(definition);
  if (plain) return { column: plain[1]!, normalised: false };
  const nk = /^(?:"?[a-z_][a-z0-9_]*"?\.)?nk\("?([a-z_][a-z0-9_]*)"?\)$/.exec(definition);
  return nk ? { column: nk[1]!, normalised: true } : undefined;
}
