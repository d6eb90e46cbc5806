import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NocturneConfig } from '../../../config/types.js';
import type { Db } from '../../../db/database.js';

/** sql/catalogue/, shipped beside dist/ in the package. */
export const CATALOGUE_SQL_DIR = fileURLToPath(new URL('../../../../sql/catalogue/', import.meta.url));
const FILES = ['01_tables.sql', '02_views.sql', '03_analysts.sql'];
// Serialises concurrent installs (CREATE ... IF NOT EXISTS is not safe against a racing twin).
const CATALOGUE_LOCK = 0x6863_6174;

/** The catalogue schemas the pipelines load sets into (ingest.sets.catalogue), in order. */
export function setCatalogues(config: NocturneConfig): string[] {
  const found = new Set<string>();
  for (const { config: pipeline } of config.pipelines.values()) {
    if (pipeline.ingest?.mode === 'sets') found.add(pipeline.ingest.sets.catalogue);
  }
  return [...found].sort();
}

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

export type ReaderGrant = { kind: 'granted'; relations: number; functions: string[] } | { kind: 'refused'; reason: string };

/**
 * Makes `role` a reader of the catalogue `schema`: SELECT on its tables and views,
 * EXECUTE on its functions (the catalogue's grant_reader procedure), and nothing on the
 * state schema, which the views and functions read with their owner's rights. Refused
 * for a role that could read more anyway (a superuser, or one that may use the state
 * schema): the grant would not make it read-only.
 */
export async function grantReader(db: Db, role: string, options: Required<CatalogueOptions>): Promise<ReaderGrant> {
  return db.tx('grant-reader', async (tx) => {
    const found = await tx.oneOrNone<{ super: boolean; state: boolean; installed: boolean }>(
      `SELECT r.rolsuper AS super,
              has_schema_privilege(r.oid, n.oid, 'USAGE') AS state,
              to_regprocedure(format('%I.grant_reader(regrole)', $2::text)) IS NOT NULL AS installed
         FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = $3
        WHERE r.rolname = $1`,
      [role, options.schema, options.stateSchema],
    );
    if (!found) return refused(`role "${role}" does not exist: create it first, e.g. CREATE ROLE "${role}" LOGIN PASSWORD '...'`);
    if (!found.installed) {
      return refused(
        `catalogue "${options.schema}" is not installed, or predates readers: install it (psql -f sql/catalogue/install.psql -v catalogue=${options.schema})`,
      );
    }
    if (found.super) return refused(`role "${role}" is a superuser: it reads everything; a reader must be an ordinary role`);
    if (found.state) {
      return refused(
        `role "${role}" may use nocturne's state schema "${options.stateSchema}" (granted elsewhere): REVOKE USAGE ON SCHEMA "${options.stateSchema}" FROM "${role}" (and from PUBLIC) first`,
      );
    }
    await tx.none('CALL $1:name.grant_reader($2::regrole)', [options.schema, role]);
    // Trigger functions are granted too, but nobody can call one.
    const counts = await tx.one<{ relations: number; functions: string[] }>(
      `SELECT (SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = $2::regnamespace AND c.relkind IN ('r', 'v', 'm')
                 AND has_table_privilege($1, c.oid, 'SELECT')) AS relations,
              ARRAY(SELECT DISTINCT p.proname::text FROM pg_proc p WHERE p.pronamespace = $2::regnamespace AND p.prokind = 'f'
                       AND p.prorettype <> 'trigger'::regtype AND has_function_privilege($1, p.oid, 'EXECUTE') ORDER BY 1) AS functions`,
      [role, options.schema],
    );
    return { kind: 'granted', ...counts };
  });
}

function refused(reason: string): ReaderGrant {
  return { kind: 'refused', reason };
}
