import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../../src/config/schema.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import { checkIngestTargets } from '../../../src/stages/ingest/index.js';
import { createIngestWorld, type IngestWorld } from './world.js';

let world: IngestWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The world's configuration with one more pipeline, written to `<dir>/pipelines/<name>.yaml`. */
async function withPipeline(base: IngestWorld, name: string, text: string): Promise<{ config: NocturneConfig; file: string }> {
  const file = path.join(base.dir, 'pipelines', `${name}.yaml`);
  await writeFile(file, text);
  const pipelines = new Map(base.config.pipelines);
  pipelines.set(name, { config: pipelineSchema.parse(parse(text)), file });
  return { config: { ...base.config, pipelines }, file };
}

describe('checkIngestTargets', () => {
  it('finds nothing wrong with the example catalogue and mapping', async () => {
    world = await createIngestWorld('check_ok');
    expect(await checkIngestTargets(world.db, world.config)).toEqual([]);
  });

  it('names the pipeline file, line, table and column of every mismatch', async () => {
    world = await createIngestWorld('check_bad');
    const table = `${world.hfc}.sunspots`;
    const { config, file } = await withPipeline(
      world,
      'broken',
      `name: broken
code: { name: sdoss, version: "1.06" }
ingest:
  schedule: "30 6 * * *"
  source: { dir: /tmp }
  table: ${table}
  columns:
    id_feat: { from: ID_FEAT, type: int }
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
    world = await createIngestWorld('check_table');
    await world.db.none('CREATE TABLE $1:name.plain (id integer PRIMARY KEY)', [world.hfc]);
    const pipeline = (name: string, table: string) => `name: ${name}
code: { name: sdoss, version: "1.06" }
ingest:
  schedule: "30 6 * * *"
  source: { dir: /tmp }
  table: ${table}
  columns:
    id: { from: ID, type: int }
  naturalKey: [id]
`;
    const missing = await withPipeline(world, 'missing', pipeline('missing', `${world.hfc}.nowhere`));
    const plain = await withPipeline({ ...world, config: missing.config }, 'plain', pipeline('plain', `${world.hfc}.plain`));
    const issues = await checkIngestTargets(world.db, plain.config);
    expect(issues.map((i) => [path.basename(i.file), i.line, i.message])).toEqual([
      ['missing.yaml', 6, `ingest.table: table ${world.hfc}.nowhere does not exist (or has no columns)`],
      ['plain.yaml', 6, `ingest.table: table ${world.hfc}.plain needs a column ingested_file_id bigint (provenance: the ledger row of each row)`],
    ]);
  });
});
