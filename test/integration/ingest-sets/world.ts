// A throw-away world for sets-mode ingest tests: a fresh state schema, the HFC catalogue
// installed into a schema of its own (<state>_hfc), a source directory, and a pipeline
// file in sets mode (the repository's own pipeline of the code, its catalogue and
// source swapped) written to disk and parsed through the real schema.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closedAfterEach } from '../../helpers/closed-after-each.js';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { compileDaemon, compilePipeline } from '../../../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import type { LoadedPipeline, NocturneConfig } from '../../../src/config/types.js';
import type { Db } from '../../../src/db/database.js';
import { executeStage } from '../../../src/stages/execute.js';
import { createIngestStage, installCatalogue } from '../../../src/stages/ingest/index.js';
import type { StageContext, StageOutcome } from '../../../src/stages/types.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { HFC_CODES, type HfcCode } from '../../../harness/hfc-sets.js';
import { directContext as stageContext, quietLogger } from '../../../harness/stage-context.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The example codes' pipelines/<code>.yaml, at the versions of the fixtures (HFC_CODES). */
async function repoPipeline(
  code: HfcCode,
): Promise<{ code: Record<string, unknown>; csv: Record<string, unknown>; sets: Record<string, unknown> }> {
  const raw = parse(await readFile(path.join(REPO, 'pipelines', `${code}.yaml`), 'utf8')) as {
    code: unknown;
    ingest: { csv: Record<string, unknown>; sets: Record<string, unknown> };
  };
  return { code: { ...(raw.code as object), version: HFC_CODES[code].version }, csv: raw.ingest.csv, sets: raw.ingest.sets };
}

export interface SetsWorldOptions {
  code?: HfcCode;
  /** A code that has no pipeline in the repository: its whole declaration. */
  declaration?: { code: { name: string; version: string }; csv: Record<string, unknown>; sets: Record<string, unknown> };
  /** Merged over the code's `sets` declaration. */
  sets?: Record<string, unknown>;
  /** Merged over the code's `csv` section. */
  csv?: Record<string, unknown>;
  /** Read the source through a target (a local directory standing in for the archive) instead of locally. */
  remote?: boolean;
}

/** What another process needs to rebuild a world's configuration (see child.ts). */
export interface SetsWorldSpec {
  url: string;
  schema: string;
  dir: string;
  pipelineFile: string;
  code: string;
}

/** The configuration of a world, read back from its pipeline file as the daemon would. */
export async function loadSetsConfig(spec: SetsWorldSpec): Promise<NocturneConfig> {
  const { dir } = spec;
  const raw: unknown = parse(await readFile(spec.pipelineFile, 'utf8'));
  return {
    dir,
    daemon: compileDaemon(
      daemonConfigSchema.parse({
        database: { url: spec.url, schema: spec.schema },
        paths: { state: dir },
        host: { name: 'test-host' },
        targets: { archive: { type: 'local', path: path.join(dir, 'archive') } },
      }),
    ),
    paths: {
      state: dir,
      outbox: path.join(dir, 'outbox'),
      quarantine: path.join(dir, 'quarantine'),
      logs: path.join(dir, 'logs'),
      work: path.join(dir, 'work'),
    },
    pipelines: new Map([[spec.code, { config: compilePipeline(pipelineSchema.parse(raw)), file: spec.pipelineFile }]]),
  };
}

export interface SetsWorld {
  readonly spec: SetsWorldSpec;
  readonly test: TestDb;
  readonly db: Db;
  readonly hfc: string;
  readonly source: string;
  readonly quarantine: string;
  readonly config: NocturneConfig;
  readonly pipeline: string;
  run(options?: { dryRun?: boolean; printed?: string[] }): Promise<StageOutcome>;
  /**
   * Rewrites the pipeline file with `sets` merged over its declaration, and the code's
   * version if given, and reloads it (as a daemon reload does).
   */
  reconfigure(sets: Record<string, unknown>, version?: string): Promise<void>;
  /** The stage called directly (no run history, so two can run at once), optionally on another pool. */
  direct(db?: Db): Promise<StageOutcome>;
  write(name: string, content: string | Buffer): Promise<string>;
  copy(from: string, as?: string): Promise<string>;
  /** Copies the files (not the subdirectories) of a fixture directory into the source. */
  copyDir(from: string): Promise<string[]>;
  count(table: string): Promise<number>;
  ledger(): Promise<SetLedgerRow[]>;
  close(): Promise<void>;
}

export interface SetLedgerRow {
  id: string;
  set_key: string;
  kind: string;
  status: string;
  content_sha256: string;
  replaced_by: string | null;
  rows: Record<string, number>;
  error: string | null;
  report: { issues: { file: string; line: number; column?: string; value?: string; reason: string }[] } | null;
  members: { role: string; path: string }[];
  incomplete: boolean;
  host: string;
  finished_at: Date | null;
  replaced_at: Date | null;
}

/** A stage context for calling the stage directly, outside executeStage (no run history). */
export function directContext(config: NocturneConfig, code: string, db: Db, runId: number): StageContext {
  return stageContext(config, { pipeline: code, db, runId, date: '2014-02-21' });
}

export async function createSetsWorld(label: string, options: SetsWorldOptions = {}): Promise<SetsWorld> {
  const code = options.declaration?.code.name ?? options.code ?? 'sdoss';
  const test = await createTestDb(`sets_${label}`);
  const hfc = `${test.schema}_hfc`;
  await installCatalogue(test.db, { schema: hfc, stateSchema: test.schema });
  const dir = await mkdtemp(path.join(os.tmpdir(), `nocturne-sets-${label}-`));
  // A remote source is /hfc/<code> of the target "archive", i.e. <dir>/archive/hfc/<code>.
  const source = options.remote ? path.join(dir, 'archive', 'hfc', code) : path.join(dir, 'incoming');
  await mkdir(source, { recursive: true });
  await mkdir(path.join(dir, 'pipelines'));
  const pipelineFile = path.join(dir, 'pipelines', `${code}.yaml`);
  const base = options.declaration ?? (await repoPipeline(code as HfcCode));
  const raw = {
    name: code,
    code: base.code,
    ingest: {
      schedule: '*/15 * * * *',
      source: options.remote ? { target: 'archive', dir: `/hfc/${code}` } : { dir: source },
      csv: { ...base.csv, ...options.csv },
      sets: { ...base.sets, catalogue: hfc, ...options.sets },
    },
  };
  await writeFile(pipelineFile, stringify(raw));
  const spec: SetsWorldSpec = { url: test.url, schema: test.schema, dir, pipelineFile, code };
  const config = await loadSetsConfig(spec);
  const reconfigure = async (sets: Record<string, unknown>, version?: string) => {
    raw.ingest.sets = { ...raw.ingest.sets, ...sets };
    if (version) raw.code = { ...raw.code, version };
    await writeFile(pipelineFile, stringify(raw));
    (config.pipelines as Map<string, LoadedPipeline>).set(code, (await loadSetsConfig(spec)).pipelines.get(code)!);
  };
  let slot = Date.now();
  let directRun = 1_000_000;
  const copy = async (from: string, as = path.basename(from)) => {
    const target = path.join(source, as);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(from, target);
    return target;
  };
  return {
    spec,
    test,
    db: test.db,
    hfc,
    source,
    quarantine: config.paths.quarantine,
    config,
    pipeline: code,
    reconfigure,
    async run(run = {}) {
      const result = await executeStage(
        {
          config,
          db: test.db,
          logger: quietLogger,
          print: (line) => run.printed?.push(line),
          progress: { update: () => undefined, done: () => undefined },
        },
        { pipeline: code, stage: 'ingest', slot: new Date((slot += 1000)), trigger: 'manual', dryRun: run.dryRun ?? false },
      );
      if (result.kind !== 'done') throw new Error(`ingest did not run: ${result.reason}`);
      return result.outcome;
    },
    direct(db = test.db) {
      return createIngestStage()(directContext(config, code, db, directRun++));
    },
    async write(name, content) {
      const target = path.join(source, name);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      return target;
    },
    copy,
    async copyDir(from) {
      const names = (await readdir(from, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
      return Promise.all(names.map((name) => copy(path.join(from, name))));
    },
    async count(table) {
      const row = await test.db.one<{ n: string }>('SELECT count(*) AS n FROM $1:name.$2:name', [hfc, table]);
      return Number(row.n);
    },
    ledger: () => test.db.any<SetLedgerRow>('SELECT * FROM ingested_sets ORDER BY id'),
    async close() {
      await test.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [hfc]);
      await test.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The backend pid of a connection (of one holding a lock, for untilBlockedBy). */
export async function backendPid(conn: Pick<Db, 'one'>): Promise<number> {
  return (await conn.one<{ pid: number }>('SELECT pg_backend_pid() AS pid')).pid;
}

/**
 * Until some backend waits for a lock (row, transaction or advisory) held by the backend
 * `pid`: a run started meanwhile has reached what that connection holds.
 */
export async function untilBlockedBy(db: Db, pid: number): Promise<void> {
  const blocked = async () =>
    (await db.one<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid])).n;
  await expect.poll(blocked, { timeout: 15_000, interval: 50 }).not.toBe('0');
}

/** For a test file: a factory of worlds, each closed after the test that made it. */
export function useSetsWorlds(): (label: string, options?: SetsWorldOptions) => Promise<SetsWorld> {
  return closedAfterEach(createSetsWorld);
}
