import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../src/config/resolve.js';
import { pipelineSchema } from '../../../src/config/schema.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import { checkIngestTargets } from '../../../src/stages/ingest/index.js';
import { useWorlds } from './use-world.js';
import type { IngestWorld } from './world.js';

const newWorld = useWorlds();

/** pipelines/<name>.yaml reading into `table`; `mapping` holds the columns and natural key, indented by two. */
function pipelineYaml(name: string, table: string, mapping: string): string {
  return `name: ${name}
code: { name: sdoss, version: "1.06" }
ingest:
  schedule: "30 6 * * *"
  source: { dir: /tmp }
  table: ${table}
${mapping}`;
}

/** The world's configuration with one more pipeline (see pipelineYaml), written to `<dir>/pipelines/<name>.yaml`. */
async function withPipeline(
  base: IngestWorld,
  name: string,
  table: string,
  mapping: string,
): Promise<{ config: NocturneConfig; file: string }> {
  const text = pipelineYaml(name, table, mapping);
  const file = path.join(base.dir, 'pipelines', `${name}.yaml`);
  await writeFile(file, text);
  const pipelines = new Map(base.config.pipelines);
  pipelines.set(name, { config: compilePipeline(pipelineSchema.parse(parse(text))), file });
  return { config: { ...base.config, pipelines }, file };
}

describe('checkIngestTargets', () => {
  it('finds nothing wrong with the example catalogue and mapping', async () => {
    const world = await newWorld('check_ok');
    expect(await checkIngestTargets(world.db, world.config)).toEqual([]);
  });

  it('names the pipeline file, line, table and column of every mismatch', async () => {
    const world = await newWorld('check_bad');
    const table = `${world.hfc}.sunspots`;
    const { config, file } = await withPipeline(
      world,
      'broken',
      table,
      `  columns:
    id_feat: { from: ID_FEAT, type: int, format: "%Y" }
    obs_id: { from: OBS_ID, type: int }
    feat_x_arcsec: { from: FEAT_X_ARCSEC, type: float, nullable: true }
    feat_filename: { from: FEAT_FILENAME, type: text, nullable: true }
    run_date: { from: RUN_DATE, type: timestamp, format: "%Y-%j" }
    colour: { from: COLOUR, type: text }
  naturalKey: [feat_filename, cc]
`,
    );
    const issues = (await checkIngestTargets(world.db, config)).filter((i) => i.file === file);
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [8, `ingest.columns.id_feat (table ${table}): format applies to timestamp columns only, not int`],
      [12, `ingest.columns.run_date (table ${table}): timestamp format "%Y-%j": unsupported directive %j (use %Y %m %d %H %M %S %f %z %%)`],
      [14, `ingest.naturalKey: cc is not one of the mapped columns of ${table}`],
      [9, `ingest.columns.obs_id: column ${table}.obs_id is text, which cannot take type int`],
      [11, `ingest.columns.feat_filename: nullable is true but column ${table}.feat_filename is NOT NULL`],
      [13, `ingest.columns.colour: table ${table} has no column colour`],
      [7, `ingest.columns: column ${table}.date_obs is NOT NULL without a default, and nothing is mapped to it`],
      [7, `ingest.columns: column ${table}.instrume is NOT NULL without a default, and nothing is mapped to it`],
      [14, `ingest.naturalKey: table ${table} has no unique index or constraint on exactly (feat_filename, cc)`],
    ]);
  });

  it('reports a missing table, and a table without provenance', async () => {
    const world = await newWorld('check_table');
    await world.db.none('CREATE TABLE $1:name.plain (id integer PRIMARY KEY)', [world.hfc]);
    const mapping = '  columns:\n    id: { from: ID, type: int }\n  naturalKey: [id]\n';
    const missing = await withPipeline(world, 'missing', `${world.hfc}.nowhere`, mapping);
    const plain = await withPipeline({ ...world, config: missing.config }, 'plain', `${world.hfc}.plain`, mapping);
    const issues = await checkIngestTargets(world.db, plain.config);
    expect(issues.map((i) => [path.basename(i.file), i.line, i.message])).toEqual([
      ['missing.yaml', 6, `ingest.table: table ${world.hfc}.nowhere does not exist (or has no columns)`],
      [
        'plain.yaml',
        6,
        `ingest.table: table ${world.hfc}.plain needs a column ingested_file_id bigint (provenance: the ledger row of each row)`,
      ],
    ]);
  });
});
