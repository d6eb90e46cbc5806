// A throw-away world for single-CSV ingest stage tests: a fresh state schema, the tests'
// feature table installed into a schema of its own (<state>_hfc), a source directory, and a pipeline
// file written to disk and parsed through the real schema, run through executeStage.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { compileDaemon, compilePipeline } from '../../../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import type { Db } from '../../../src/db/database.js';
import { executeStage } from '../../../src/stages/execute.js';
import { createIngestStage, type IngestDeps } from '../../../src/stages/ingest/index.js';
import type { StageContext, StageOutcome } from '../../../src/stages/types.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { installFeatureTables } from '../../../harness/feature-tables.js';
import { directContext as stageContext, quietLogger } from '../../../harness/stage-context.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/ingest/', import.meta.url));
const TS = '%Y-%m-%dT%H:%M:%S';

/** The example detection code's columns, as a pipeline maps them (UPPER-CASE header → lower-case column). */
export const FEATURE_COLUMNS = {
  id_feat: { from: 'ID_FEAT', type: 'int' },
  obs_id: { from: 'OBS_ID', type: 'text' },
  date_obs: { from: 'DATE_OBS', type: 'timestamp', format: TS },
  instrume: { from: 'INSTRUME', type: 'text' },
  feat_x_arcsec: { from: 'FEAT_X_ARCSEC', type: 'float' },
  feat_y_arcsec: { from: 'FEAT_Y_ARCSEC', type: 'float' },
  feat_hg_long_deg: { from: 'FEAT_HG_LONG_DEG', type: 'float' },
  feat_hg_lat_deg: { from: 'FEAT_HG_LAT_DEG', type: 'float' },
  feat_carr_long_deg: { from: 'FEAT_CARR_LONG_DEG', type: 'float', nullable: true },
  feat_carr_lat_deg: { from: 'FEAT_CARR_LAT_DEG', type: 'float', nullable: true },
  feat_area_deg2: { from: 'FEAT_AREA_DEG2', type: 'float' },
  feat_mean_int: { from: 'FEAT_MEAN_INT', type: 'float' },
  feat_max_int: { from: 'FEAT_MAX_INT', type: 'float', nullable: true },
  cc: { from: 'CC', type: 'text', nullable: true },
  cc_length: { from: 'CC_LENGTH', type: 'int', nullable: true },
  feat_filename: { from: 'FEAT_FILENAME', type: 'text' },
  run_date: { from: 'RUN_DATE', type: 'timestamp', format: TS },
};

export interface WorldOptions {
  /** Merged over the world's ingest section (table <hfc>.sunspots); given that schema and the world's directory. */
  ingest?: Record<string, unknown> | ((world: { hfc: string; dir: string }) => Record<string, unknown>);
  /** Targets of config/nocturne.yaml. */
  targets?: Record<string, unknown>;
}

export interface RunOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DirectOptions {
  /** Another pool (a second "process"). */
  db?: Db;
  deps?: IngestDeps;
  signal?: AbortSignal;
}

/** What another process needs to rebuild this world's configuration (see child.ts). */
export interface WorldSpec {
  url: string;
  schema: string;
  dir: string;
  pipelineFile: string;
  targets: Record<string, unknown>;
}

/** The configuration of a world, read back from its pipeline file as the daemon would. */
export async function loadWorldConfig(spec: WorldSpec): Promise<NocturneConfig> {
  const raw: unknown = parse(await readFile(spec.pipelineFile, 'utf8'));
  const { dir } = spec;
  return {
    dir,
    daemon: compileDaemon(
      daemonConfigSchema.parse({
        database: { url: spec.url, schema: spec.schema },
        paths: { state: dir },
        targets: spec.targets,
        host: { name: 'test-host' },
      }),
    ),
    paths: {
      state: dir,
      outbox: path.join(dir, 'outbox'),
      quarantine: path.join(dir, 'quarantine'),
      logs: path.join(dir, 'logs'),
      work: path.join(dir, 'work'),
    },
    pipelines: new Map([['sdoss', { config: compilePipeline(pipelineSchema.parse(raw)), file: spec.pipelineFile }]]),
  };
}

/** A stage context for calling the runner directly, outside executeStage (no run history). */
export function directContext(config: NocturneConfig, db: Db, runId: number, signal?: AbortSignal): StageContext {
  return stageContext(config, { pipeline: 'sdoss', db, runId, date: '2026-11-21', ...(signal ? { signal } : {}) });
}

export interface IngestWorld {
  readonly spec: WorldSpec;
  readonly test: TestDb;
  readonly db: Db;
  /** Schema of this world's feature table (sunspots). */
  readonly hfc: string;
  readonly dir: string;
  readonly source: string;
  readonly quarantine: string;
  readonly config: NocturneConfig;
  readonly pipelineFile: string;
  /** Lines printed by the last run (dry-run listings). */
  readonly printed: string[];
  /** Progress counters of the last run, in order. */
  readonly progress: Record<string, number | string>[];
  /** One recorded run, as the scheduler or `nocturne run` does it. */
  run(options?: RunOptions): Promise<StageOutcome>;
  /** The stage runner called directly (no run history, so two can run at once). */
  direct(options?: DirectOptions): Promise<StageOutcome>;
  /** Copies test/fixtures/ingest/<name> into the source directory (as `as`). */
  fixture(name: string, as?: string): Promise<string>;
  write(name: string, content: string | Buffer): Promise<string>;
  count(table?: string): Promise<number>;
  ledger(): Promise<LedgerRow[]>;
  close(): Promise<void>;
}

export interface LedgerRow {
  id: string;
  path: string;
  sha256: string;
  status: string;
  rows_read: number;
  rows_inserted: number;
  rows_updated: number;
  rows_conflicting: number;
  rows_quarantined: number;
  error: string | null;
  report: { issues: { line: number; column?: string; value?: string; reason: string }[]; truncated: boolean } | null;
  run_id: string;
}

export async function createIngestWorld(label: string, options: WorldOptions = {}): Promise<IngestWorld> {
  const test = await createTestDb(`ingest_${label}`);
  const hfc = `${test.schema}_hfc`;
  await installFeatureTables(test.db, { schema: hfc, stateSchema: test.schema });
  const dir = await mkdtemp(path.join(os.tmpdir(), `nocturne-ingest-${label}-`));
  const source = path.join(dir, 'incoming');
  await mkdir(source, { recursive: true });
  await mkdir(path.join(dir, 'pipelines'));
  const pipelineFile = path.join(dir, 'pipelines', 'sdoss.yaml');
  const raw = {
    name: 'sdoss',
    code: { name: 'sdoss', version: '1.06' },
    ingest: {
      schedule: '30 6 * * *',
      source: { dir: source },
      include: ['*.csv'],
      csv: { delimiter: ';', nullValues: ['NULL', ''] },
      table: `${hfc}.sunspots`,
      columns: FEATURE_COLUMNS,
      naturalKey: ['feat_filename', 'id_feat'],
      onConflict: 'ignore',
      badRows: { policy: 'reject' },
      ...(typeof options.ingest === 'function' ? options.ingest({ hfc, dir }) : options.ingest),
    },
  };
  await writeFile(pipelineFile, stringify(raw));
  const spec: WorldSpec = { url: test.url, schema: test.schema, dir, pipelineFile, targets: options.targets ?? {} };
  const config = await loadWorldConfig(spec);
  const printed: string[] = [];
  const progress: Record<string, number | string>[] = [];
  let slot = Date.now();
  let directRun = 1_000_000;

  return {
    spec,
    test,
    db: test.db,
    hfc,
    dir,
    source,
    quarantine: config.paths.quarantine,
    config,
    pipelineFile,
    printed,
    progress,
    async run(run = {}) {
      printed.length = 0;
      progress.length = 0;
      const result = await executeStage(
        {
          config,
          db: test.db,
          logger: quietLogger,
          ...(run.signal ? { signal: run.signal } : {}),
          print: (line) => printed.push(line),
          progress: { update: (counters) => progress.push({ ...counters }), done: () => undefined },
        },
        { pipeline: 'sdoss', stage: 'ingest', slot: new Date((slot += 1000)), trigger: 'manual', dryRun: run.dryRun ?? false },
      );
      if (result.kind !== 'done') throw new Error(`ingest did not run: ${result.reason}`);
      return result.outcome;
    },
    direct(options = {}) {
      return createIngestStage(options.deps)(directContext(config, options.db ?? test.db, directRun++, options.signal));
    },
    async fixture(name, as = name) {
      const target = path.join(source, as);
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(path.join(FIXTURES, name), target);
      return target;
    },
    async write(name, content) {
      const target = path.join(source, name);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      return target;
    },
    async count(table = 'sunspots') {
      const row = await test.db.one<{ n: string }>('SELECT count(*) AS n FROM $1:name.$2:name', [hfc, table]);
      return Number(row.n);
    },
    ledger: () => test.db.any<LedgerRow>('SELECT * FROM ingested_files ORDER BY id'),
    async close() {
      await test.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [hfc]);
      await test.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
