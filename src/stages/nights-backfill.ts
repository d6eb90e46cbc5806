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
  let filled = 0;
  for (const { config } of pipelines) {
    for (const ledger of LEDGERS) {
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
