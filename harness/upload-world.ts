// A throw-away world for upload stage tests: a state directory (outbox, quarantine,
// work), a fresh state schema, a pipeline whose remote directory is unique to the test
// file, and uploadOutbox wired exactly as uploadStage wires it (plus optional test hooks).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createRemoteStore, connectionsOf } from '../src/adapters/transfer/create-remote-store.js';
import {
  daemonConfigSchema,
  pipelineSchema,
  targetSchema,
  type DaemonConfig,
  type PipelineConfig,
  type TargetConfig,
} from '../src/config/schema.js';
import { compileDaemon, compilePipeline, compileTarget } from '../src/config/resolve.js';
import type { Db } from '../src/db/database.js';
import type { NocturneConfig } from '../src/config/types.js';
import { systemClock } from '../src/core/clock.js';
import { createLogger } from '../src/log/logger.js';
import { createLocalFiles } from '../src/stages/upload/local-files.js';
import { createPgTransferLedger } from '../src/stages/upload/pg-transfer-ledger.js';
import { sharpQuicklooks } from '../src/stages/upload/prepare.js';
import { uploadOutbox } from '../src/stages/upload/upload-outbox.js';
import type { RetryPolicy } from '../src/stages/upload/upload-pool.js';
import type { UploadHooks } from '../src/stages/upload/verified-upload.js';
import type { TransferLedger } from '../src/stages/upload/transfer-ledger.js';
import type { StageContext, StageOutcome } from '../src/stages/types.js';
import { createTestDb, type TestDb } from './db.js';
import { rigRoot, rigTarget, type RigProtocol } from './rig-targets.js';

export type Protocol = RigProtocol | 'local';

export interface WorldOptions {
  protocol: Protocol;
  /** Merged into pipelines/sdoss.yaml's upload section. */
  upload?: Record<string, unknown>;
  /** Merged into the target's configuration. */
  target?: Record<string, unknown>;
}

export interface RunOptions {
  hooks?: UploadHooks;
  signal?: AbortSignal;
  dryRun?: boolean;
  retry?: RetryPolicy;
  print?: (line: string) => void;
  /** Files in flight per connection (default: the stage's). */
  lanes?: number;
  /** Instead of the PostgreSQL ledger (the benchmark measures what the database costs). */
  ledger?: TransferLedger;
}

export interface TransferRecord {
  id: string;
  local_path: string;
  remote_path: string;
  partial_path: string | null;
  state: string;
  kind: string;
  verify_method: string | null;
  local_sha256: string | null;
  remote_sha256: string | null;
  error_code: string | null;
  error: string | null;
  quarantine_path: string | null;
  attempts: number;
}

export interface UploadWorld {
  readonly db: TestDb;
  readonly outbox: string;
  readonly quarantine: string;
  /** Remote directory of this world, relative to the login directory. */
  readonly remoteBase: string;
  /** Where remoteBase lies on this machine (the servers' home, or the local target). */
  readonly remoteLocal: string;
  readonly config: NocturneConfig;
  readonly spec: WorldSpec;
  run(options?: RunOptions): Promise<StageOutcome>;
  /** Writes `bytes` random bytes (or the given content) to the outbox. */
  file(name: string, content?: number | Buffer | string): Promise<string>;
  jpeg(name: string, width?: number, height?: number): Promise<Buffer>;
  transfers(): Promise<TransferRecord[]>;
  /** to_state of every event of the transfer of `localPath`, in order. */
  history(localPath: string): Promise<string[]>;
  /** Every file below remoteLocal, relative to it. */
  remoteFiles(): Promise<string[]>;
  close(): Promise<void>;
}

let runIds = 0;

/** What a world is made of, as JSON: enough for another process to run the same upload. */
export interface WorldSpec {
  dir: string;
  daemon: DaemonConfig;
  paths: NocturneConfig['paths'];
  pipeline: PipelineConfig;
  target: TargetConfig;
}

function configOf(spec: WorldSpec): NocturneConfig {
  return {
    dir: spec.dir,
    daemon: compileDaemon(spec.daemon),
    paths: spec.paths,
    pipelines: new Map([['sdoss', { config: compilePipeline(spec.pipeline), file: path.join(spec.dir, 'pipelines/sdoss.yaml') }]]),
  };
}

/** uploadOutbox wired as uploadStage wires it, plus the test's hooks, retry policy and signal. */
export function runWorldUpload(spec: WorldSpec, db: Db, runId: number, run: RunOptions = {}): Promise<StageOutcome> {
  const config = configOf(spec);
  const ctx: StageContext = {
    config,
    pipeline: config.pipelines.get('sdoss')!,
    db,
    logger: createLogger({ level: 'silent' }),
    clock: systemClock,
    signal: run.signal ?? new AbortController().signal,
    runId,
    slot: new Date(),
    date: '2014-02-21',
    dryRun: run.dryRun ?? false,
    progress: { update() {}, done() {} },
    print: run.print ?? (() => {}),
  };
  const target = compileTarget(spec.target);
  return uploadOutbox(ctx, {
    store: createRemoteStore('archive', target),
    ledger: run.ledger ?? createPgTransferLedger(db, runId),
    files: createLocalFiles(),
    quicklooks: sharpQuicklooks,
    connections: connectionsOf(target),
    retry: run.retry ?? { attempts: 2, baseMs: 20, maxMs: 100 },
    ...(run.hooks ? { hooks: run.hooks } : {}),
    ...(run.lanes === undefined ? {} : { lanes: run.lanes }),
  });
}

export async function createUploadWorld(label: string, options: WorldOptions): Promise<UploadWorld> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `nocturne-${label}-`));
  const db = await createTestDb(label);
  const remoteBase = `t-${label}-${randomBytes(4).toString('hex')}`;
  const archive = path.join(dir, 'archive');
  const target: TargetConfig =
    options.protocol === 'local'
      ? targetSchema.parse({ type: 'local', path: archive, ...options.target })
      : rigTarget(options.protocol, options.target);
  const remoteLocal = path.join(options.protocol === 'local' ? archive : rigRoot(), remoteBase);
  const daemon = daemonConfigSchema.parse({
    database: { url: db.url, schema: db.schema },
    targets: { archive: target },
    paths: { state: dir },
  });
  const pipeline = pipelineSchema.parse({
    name: 'sdoss',
    code: { name: 'sdoss', version: '1.0' },
    upload: { schedule: '0 * * * *', target: 'archive', remoteDir: `${remoteBase}/{code}/{yyyy}/{mm}`, ...options.upload },
  });
  const paths = {
    state: dir,
    outbox: path.join(dir, 'outbox'),
    quarantine: path.join(dir, 'quarantine'),
    logs: path.join(dir, 'logs'),
    work: path.join(dir, 'work'),
  };
  const spec: WorldSpec = { dir, daemon, paths, pipeline, target };
  const config = configOf(spec);
  const outbox = path.join(paths.outbox, 'sdoss');
  await mkdir(outbox, { recursive: true });
  const writeOutbox = async (name: string, content: number | Buffer | string = 2048) => {
    const file = path.join(outbox, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'number' ? randomBytes(content) : content);
    return file;
  };

  return {
    db,
    outbox,
    quarantine: path.join(paths.quarantine, 'sdoss'),
    remoteBase,
    remoteLocal,
    config,
    spec,
    run: (run = {}) => runWorldUpload(spec, db.db, ++runIds, run),
    file: writeOutbox,
    jpeg: async (name, width = 320, height = 240) => {
      const body = await sharp({
        create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
      })
        .jpeg({ quality: 80 })
        .toBuffer();
      await writeOutbox(name, body);
      return body;
    },
    async transfers() {
      return db.db.any<TransferRecord>('SELECT * FROM transfers ORDER BY id');
    },
    async history(localPath) {
      const rows = await db.db.any<{ to_state: string }>(
        `SELECT e.to_state FROM transfer_events e JOIN transfers t ON t.id = e.transfer_id
          WHERE t.local_path = $1 ORDER BY e.id`,
        [localPath],
      );
      return rows.map((r) => r.to_state);
    },
    async remoteFiles() {
      const names = await readdir(remoteLocal, { recursive: true, withFileTypes: true }).catch(() => []);
      return names
        .filter((d) => d.isFile())
        .map((d) => path.relative(remoteLocal, path.join(d.parentPath, d.name)))
        .sort();
    },
    async close() {
      // Every step runs even when one fails; the first failure is reported.
      const steps = await Promise.allSettled([
        rm(remoteLocal, { recursive: true, force: true }),
        rm(dir, { recursive: true, force: true }),
        db.drop(),
      ]);
      const failed = steps.find((step) => step.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** Worlds made by one test file, closed together by its afterAll. */
export function worldsOfFile(): {
  create: (label: string, options: WorldOptions) => Promise<UploadWorld>;
  closeAll: () => Promise<void>;
} {
  const made: UploadWorld[] = [];
  return {
    async create(label, options) {
      const world = await createUploadWorld(label, options);
      made.push(world);
      return world;
    },
    async closeAll() {
      for (const world of made.splice(0)) await world.close();
    },
  };
}
