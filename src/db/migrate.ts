import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NocturneError } from '../core/errors.js';
import type { Db } from './database.js';
import { databaseError } from './errors.js';

/** sql/state/NNNN_name.sql, shipped beside dist/ in the package. */
export const STATE_MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/state/', import.meta.url));

// Any fixed number: with the schema's hash, the lock on which nocturne processes migrating
// one schema wait for each other. Other schemas of the database (another installation,
// parallel tests) migrate meanwhile: nothing a state migration does reaches beyond its schema.
export const MIGRATION_LOCK = 0x6e6f6374;

export interface MigrationResult {
  applied: string[];
  current: number;
}

/**
 * Applies the state migrations not yet recorded, in order, each in its own transaction,
 * all under one transaction-scoped advisory lock per schema, so that two daemons starting together
 * neither fail nor apply a migration twice.
 */
export async function migrate(db: Db, schema: string, dir = STATE_MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const current = files.length === 0 ? 0 : Number(files[files.length - 1]!.slice(0, 4));
  // Every start of the daemon and of most commands comes here: when each migration is on
  // record already, one query says so, without the transaction and the lock. Anything
  // else (no schema yet, a migration missing) goes the locked way, which checks again.
  const recorded = await recordedVersions(db, schema);
  if (recorded) refuseNewer(recorded, current, schema);
  if (recorded && files.every((file) => recorded.has(Number(file.slice(0, 4))))) return { applied: [], current };
  return db.tx('migrate', async (tx) => {
    await tx.one('SELECT pg_advisory_xact_lock($1, hashtext($2)) IS NULL AS locked', [MIGRATION_LOCK, schema]);
    await tx.none('CREATE SCHEMA IF NOT EXISTS $1:name', [schema]);
    // The schema alone: were it dropped meanwhile, the migrations fail ("no schema has been
    // selected") instead of creating the state tables in public.
    await tx.none('SET LOCAL search_path TO $1:name', [schema]);
    await tx.none(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.any<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    refuseNewer(done, current, schema);
    const applied: string[] = [];
    for (const file of files) {
      const version = Number(file.slice(0, 4));
      if (done.has(version)) continue;
      const sql = await readFile(path.join(dir, file), 'utf8');
      await tx.none(sql).catch((err: unknown) => {
        const why = databaseError(err, `state migration ${file} (schema ${schema})`);
        throw new NocturneError(
          why.code,
          `${why.message}: it and the migrations after it were not applied; the schema stays at the last one recorded (see docs/operating.md, "Upgrade")`,
          { retryable: why.retryable, cause: err },
        );
      });
      await tx.none('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      applied.push(file);
    }
    return { applied, current };
  });
}

/** The versions recorded in the schema's schema_migrations; undefined when the schema or the table does not exist yet. */
async function recordedVersions(db: Db, schema: string): Promise<Set<number> | undefined> {
  try {
    const rows = await db.any<{ version: number }>('SELECT version FROM $1:name.schema_migrations', [schema]);
    return new Set(rows.map((r) => r.version));
  } catch (err) {
    // undefined_table, invalid_schema_name: a schema never migrated.
    const code = (err as { code?: unknown }).code;
    if (code === '42P01' || code === '3F000') return undefined;
    throw err;
  }
}

/**
 * A schema that a newer nocturne migrated: this older one would run without the newer's
 * rules (its pauses, its ledgers' columns), and say nothing. It stops, naming both versions.
 */
function refuseNewer(versions: ReadonlySet<number>, current: number, schema: string): void {
  const newest = Math.max(0, ...versions);
  if (newest <= current) return;
  throw new NocturneError(
    'CONFIG_INVALID',
    `schema ${schema} is at version ${newest}, newer than this nocturne knows (${current}): a newer nocturne migrated it. ` +
      'Upgrade this host too (docs/operating.md, "Upgrade")',
  );
}
