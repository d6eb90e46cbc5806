import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from '../src/db/database.js';

const FEATURE_TABLES_SQL = fileURLToPath(new URL('../test/fixtures/ingest/feature-tables.sql', import.meta.url));

export interface FeatureTablesOptions {
  /** Schema to create the table in. */
  schema: string;
  /** The test's state schema (already migrated): the ledger the table references. */
  stateSchema: string;
}

/**
 * Installs the single-CSV ingest tests' `sunspots` table (one CSV → one table, the shape
 * of test/fixtures/ingest/*.csv) and the `quarantined_rows` view into `schema`.
 */
export async function installFeatureTables(db: Db, options: FeatureTablesOptions): Promise<void> {
  const sql = await readFile(FEATURE_TABLES_SQL, 'utf8');
  await db.tx('install-feature-tables', async (tx) => {
    await tx.none('CREATE SCHEMA IF NOT EXISTS $1:name', [options.schema]);
    await tx.none('SET LOCAL search_path TO $1:name, $2:name', [options.schema, options.stateSchema]);
    await tx.none(sql);
  });
}
