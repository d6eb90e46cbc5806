import type { LoadedPipeline, ResolvedPipelineConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import { nightZone, observingNight } from './nights.js';

/** The ledgers that record a night, the column whose file name gives it, and the stage that records them. */
const LEDGERS = [
  { table: 'ingested_sets', name: 'set_key', zone: (p: ResolvedPipelineConfig) => p.ingest?.timezone },
  { table: 'ingested_files', name: 'path', zone: (p: ResolvedPipelineConfig) => p.ingest?.timezone },
  { table: 'transfers', name: 'local_path', zone: (p: ResolvedPipelineConfig) => p.upload?.timezone },
] as const;

const BATCH = 5_000;

/**
 * Fills in the observing night of ledger rows recorded before migration 0014 (which
 * cannot know the pipelines' time zones): those of the configured pipelines whose file
 * name has a date. Cheap once done: the rows left to fill are found by a partial index.
 * Returns how many rows were filled.
 */
export async function fillObservingNights(db: Db, pipelines: Iterable<LoadedPipeline>): Promise<number> {
  const configs = [...pipelines].map((p) => p.config);
  const left = await ledgersToFill(
    db,
    configs.map((c) => c.name),
  );
  let filled = 0;
  for (const config of configs) {
    for (const ledger of LEDGERS) {
      if (!left.has(`${ledger.table}\0${config.name}`)) continue;
      const zone = nightZone(config, ledger.zone(config) ?? 'UTC');
      let after = '0';
      for (;;) {
        const rows = await db.any<{ id: string; name: string }>(
          `SELECT id, $2:name AS name FROM $1:name WHERE pipeline = $3 AND night IS NULL AND $2:name ~ '\\d{8}T\\d{6}' AND id > $4
            ORDER BY id LIMIT $5`,
          [ledger.table, ledger.name, config.name, after, BATCH],
        );
        if (rows.length === 0) break;
        after = rows[rows.length - 1]!.id;
        const known = rows.flatMap((r) => {
          const night = observingNight(r.name.slice(r.name.lastIndexOf('/') + 1), zone);
          return night === null ? [] : [{ id: r.id, night }];
        });
        const result = await db.result(
          `UPDATE $1:name t SET night = u.night FROM unnest($2::bigint[], $3::date[]) AS u(id, night) WHERE t.id = u.id AND t.night IS NULL`,
          [ledger.table, known.map((r) => r.id), known.map((r) => r.night)],
        );
        filled += result.rowCount;
      }
    }
  }
  return filled;
}

/**
 * `table\0pipeline` of each ledger and pipeline with rows to fill, in one query (each start
 * comes here, and there is mostly nothing to fill), through the same partial indexes.
 */
async function ledgersToFill(db: Db, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  // The tables and columns are LEDGERS' constants, not input.
  const selects = LEDGERS.map(
    ({ table, name }) =>
      `SELECT DISTINCT '${table}' AS ledger, pipeline FROM ${table} WHERE night IS NULL AND ${name} ~ '\\d{8}T\\d{6}' AND pipeline = ANY($1)`,
  );
  const rows = await db.any<{ ledger: string; pipeline: string }>(selects.join(' UNION ALL '), [names]);
  return new Set(rows.map((r) => `${r.ledger}\0${r.pipeline}`));
}
