import type { Db } from '../../../db/database.js';
import { databaseError } from '../../../db/errors.js';

/** A column of a single-CSV target table, as pg_attribute describes it. */
export interface TargetColumn {
  name: string;
  /** pg_type.typname: int4, float8, timestamptz... */
  typname: string;
  /** format_type(), for messages: "double precision", "character varying(30)"... */
  type: string;
  not_null: boolean;
  /** Filled by the database when left out: default, identity or generated. */
  has_default: boolean;
}

/** The columns of `table` (as the pipeline names it, resolved by the search path); none when it does not exist. */
export function targetColumns(db: Pick<Db, 'any'>, table: string): Promise<TargetColumn[]> {
  return db.any<TargetColumn>(
    `SELECT a.attname AS name, t.typname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [table],
  );
}

/**
 * The pg_type name of each column of `table`, read when first asked and kept for the run:
 * the binary COPY of a file needs its target columns' exact types (see binary-rows.ts).
 * A failure is not kept: the next file asks again.
 */
export function columnTypes(db: Db, table: string): () => Promise<ReadonlyMap<string, string>> {
  let types: Promise<ReadonlyMap<string, string>> | undefined;
  return () => {
    types ??= targetColumns(db, table).then(
      (columns) => new Map(columns.map((c) => [c.name, c.typname])),
      (err: unknown) => {
        types = undefined;
        throw databaseError(err, `reading the column types of ${table}`);
      },
    );
    return types;
  };
}
