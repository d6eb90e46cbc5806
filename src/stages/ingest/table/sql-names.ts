import { pgp } from '../../../db/database.js';

/** "schema.table" (checked lower-case by the config schema) as a quoted identifier pair. */
export function qualifiedName(table: string): string {
  const [schema, name] = table.split('.');
  return `${pgp.as.name(schema)}.${pgp.as.name(name)}`;
}

/** Quoted, comma-separated column names. */
export function names(columns: readonly string[]): string {
  return columns.map((c) => pgp.as.name(c)).join(', ');
}
