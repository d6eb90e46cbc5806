import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../db/database.js';

/** sql/catalogue/, shipped beside dist/ in the package. */
export const CATALOGUE_SQL_DIR = fileURLToPath(new URL('../../../sql/catalogue/', import.meta.url));
const FILES = ['01_tables.sql', '02_views.sql'];
// Serialises concurrent installs (CREATE ... IF NOT EXISTS is not safe against a racing twin).
const CATALOGUE_LOCK = 0x6863_6174;

export interface CatalogueOptions {
  /** Schema of the catalogue. @default "hfc" */
  schema?: string;
  /** nocturne's state schema (database.schema), already migrated: the ledger lives there. @default "nocturne" */
  stateSchema?: string;
}

/**
 * Installs or upgrades the example HFC catalogue (what `psql -f sql/catalogue/install.psql`
 * does), in one transaction. Idempotent: existing tables are kept, views replaced.
 */
export async function installCatalogue(db: Db, options: CatalogueOptions = {}): Promise<void> {
  const schema = options.schema ?? 'hfc';
  const state = options.stateSchema ?? 'nocturne';
  const scripts = await Promise.all(FILES.map((f) => readFile(path.join(CATALOGUE_SQL_DIR, f), 'utf8')));
  await db.tx('install-catalogue', async (tx) => {
    await tx.one('SELECT pg_advisory_xact_lock($1) IS NULL AS locked', [CATALOGUE_LOCK]);
    await tx.none('CREATE SCHEMA IF NOT EXISTS $1:name', [schema]);
    await tx.none('SET LOCAL search_path TO $1:name, $2:name', [schema, state]);
    for (const sql of scripts) await tx.none(sql);
  });
}
