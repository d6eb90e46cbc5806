import { yamlLocator } from '../config/locate.js';
import type { ConfigIssue, NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';

/** How many of the latest runs must have found nothing before `validate --db` says so. */
export const QUIET_NIGHTS = 3;

/**
 * For `nocturne validate --db`: a warning on `run.inputs.glob` for each pipeline whose
 * latest QUIET_NIGHTS runs of the run stage all found no observation (runs.stats
 * `observations`, which the run stage records; dry runs record none and do not count).
 * A glob that matches nothing fails no run, so a moved or renamed data directory would
 * otherwise go unnoticed night after night. Reads the run history only.
 */
export async function quietInputWarnings(db: Db, config: NocturneConfig): Promise<ConfigIssue[]> {
  const names = [...config.pipelines.values()].filter((p) => p.config.run).map((p) => p.config.name);
  if (names.length === 0) return [];
  const rows = await db.any<{ pipeline: string; slots: Date[]; found: number }>(
    `SELECT pipeline, array_agg(slot ORDER BY slot) AS slots, sum((stats->>'observations')::bigint)::int AS found
       FROM (SELECT pipeline, slot, stats,
                    row_number() OVER (PARTITION BY pipeline ORDER BY slot DESC) AS latest
               FROM runs
              WHERE stage = 'run' AND pipeline IN ($1:csv) AND state <> 'running' AND stats ? 'observations') recent
      WHERE latest <= $2
      GROUP BY pipeline
     HAVING count(*) = $2`,
    [names, QUIET_NIGHTS],
  );
  const warnings: ConfigIssue[] = [];
  for (const { pipeline: name, slots, found } of rows) {
    const pipeline = config.pipelines.get(name);
    if (found > 0 || !pipeline?.config.run) continue;
    const { timezone } = pipeline.config.run;
    const nights = slots.map((slot) => slot.toLocaleDateString('sv', { timeZone: timezone })).join(', ');
    const at = (await yamlLocator(pipeline.file))(['run', 'inputs', 'glob']);
    warnings.push({
      file: pipeline.file,
      ...at,
      warning: true,
      message: `run.inputs.glob: matched nothing in the last ${QUIET_NIGHTS} runs (slots of ${nights}): is the directory right?`,
    });
  }
  return warnings;
}
