import type { Db } from '../../../db/database.js';
import { databaseError } from '../../../db/errors.js';

/**
 * The pg_type name of each column of `table`, read when first asked and kept for the run:
 * the binary COPY of a file needs its target columns' exact types (see binary-rows.ts).
 * A failure is not kept: the next file asks again.
 */
export function columnTypes(db: Db, table: string): () => Promise<ReadonlyMap<string, string>> {
  let types: Promise<ReadonlyMap<string, string>> | undefined;
  return () => {
    types ??= db
      .any<{ name: string; typname: string }>(
        `SELECT a.attname AS name, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
          WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
        [table],
      )
      .then(
        (rows) => new Map(rows.map((r) => [r.name, r.typname])),
        (err: unknown) => {
          types = undefined;
          throw databaseError(err, `reading the column types of ${table}`);
        },
      );
    return types;
  };
}
