/**
 * `npm run bench -- ingest [--rows N] [--files N] [--file-rows N] [--repeat N] [--db URL]`
 *
 * 1. One CSV of --rows rows (~400 bytes each) into a table with a primary key and a
 *    unique constraint: the ingest stage (hash, ledger, parse, validate every field,
 *    COPY) beside `psql \copy` of the same file into the same table. The stage runs in
 *    a child process so that its peak RSS is its own.
 * 2. --files files of --file-rows rows: the stage (one transaction and ledger row per
 *    file) beside a shell loop of `psql \copy`, one per file.
 * Inputs are generated into a temporary directory and deleted afterwards. The database
 * is --db, $NOCTURNE_BENCH_DB or the test rig's. Prints figures, does not judge them.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { daemonConfigSchema, pipelineSchema } from '../src/config/schema.js';
import type { NocturneConfig } from '../src/config/types.js';
import { closeDb, openDb, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/log/logger.js';
import { executeStage } from '../src/stages/execute.js';
import { installCatalogue } from '../src/stages/ingest/index.js';
import { rig } from '../test/helpers/rig.js';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
const TS = '%Y-%m-%dT%H:%M:%S';
const COLUMNS: Record<string, [string, string, boolean?]> = {
  id_feat: ['ID_FEAT', 'int'], obs_id: ['OBS_ID', 'text'], date_obs: ['DATE_OBS', 'timestamp'], instrume: ['INSTRUME', 'text'],
  feat_x_arcsec: ['FEAT_X_ARCSEC', 'float'], feat_y_arcsec: ['FEAT_Y_ARCSEC', 'float'], feat_hg_long_deg: ['FEAT_HG_LONG_DEG', 'float'],
  feat_hg_lat_deg: ['FEAT_HG_LAT_DEG', 'float'], feat_carr_long_deg: ['FEAT_CARR_LONG_DEG', 'float', true],
  feat_carr_lat_deg: ['FEAT_CARR_LAT_DEG', 'float', true], feat_area_deg2: ['FEAT_AREA_DEG2', 'float'], feat_mean_int: ['FEAT_MEAN_INT', 'float'],
  feat_max_int: ['FEAT_MAX_INT', 'float', true], cc: ['CC', 'text', true], cc_length: ['CC_LENGTH', 'int', true],
  feat_filename: ['FEAT_FILENAME', 'text'], run_date: ['RUN_DATE', 'timestamp'],
};
const HEADER = Object.values(COLUMNS).map(([from]) => from).join(';');

interface Spec {
  url: string;
  state: string;
  table: string;
  dir: string;
}

export async function bench(args: string[]): Promise<void> {
  const opt = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const dbAt = args.indexOf('--db');
  const url = dbAt >= 0 ? args[dbAt + 1]! : (process.env['NOCTURNE_BENCH_DB'] ?? rig().pgUrl);
  const rows = opt('rows', 1_000_000);
  const files = opt('files', 2000);
  const fileRows = opt('file-rows', 50);
  const repeat = opt('repeat', 1);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'nocturne-bench-ingest-'));
  const state = `bench_ingest_${process.pid}`;
  const catalogue = `${state}_hfc`;
  const db = openDb({ url, schema: state, poolSize: 2, applicationName: 'nocturne-bench' });
  try {
    await migrate(db, state);
    await installCatalogue(db, { schema: catalogue, stateSchema: state });
    // The table of the case: primary key and unique natural key, nothing else (no FK, so psql can load it too).
    await db.none(
      `CREATE TABLE $1:name.bench_features (LIKE $1:name.sunspots INCLUDING DEFAULTS INCLUDING IDENTITY,
         PRIMARY KEY (feature_id), UNIQUE (feat_filename, id_feat));
       ALTER TABLE $1:name.bench_features ALTER ingested_file_id DROP NOT NULL`,
      [catalogue],
    );
    const table = `${catalogue}.bench_features`;
    const big = path.join(tmp, 'big');
    await mkdir(big);
    await writeCsv(path.join(big, 'features.csv'), 'features.csv', rows, 1);
    const many = path.join(tmp, 'many');
    await mkdir(many);
    for (let i = 0; i < files; i++) await writeCsv(path.join(many, `f${String(i).padStart(5, '0')}.csv`), `f${i}.csv`, fileRows, 0);

    const reset = () => db.none(`TRUNCATE $1:name.bench_features; DELETE FROM ingested_files; CHECKPOINT`, [catalogue]);
    const copyList = Object.keys(COLUMNS).join(',');
    const psqlCopy = (file: string) =>
      `\\copy ${table} (${copyList}) FROM '${file}' WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NULL')`;

    const bigCase = { psql: [] as number[], ours: [] as number[], rss: [] as number[] };
    const manyCase = { psql: [] as number[], ours: [] as number[] };
    for (let r = 0; r < repeat; r++) {
      await reset();
      bigCase.psql.push(await timed(() => run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', psqlCopy(path.join(big, 'features.csv'))])));
      await reset();
      const child = await stageInChild({ url, state, table, dir: big });
      bigCase.ours.push(child.seconds);
      bigCase.rss.push(child.maxRssMiB);

      await reset();
      const loop = `for f in "${many}"/*.csv; do psql "$1" -X -q -v ON_ERROR_STOP=1 -c "\\copy ${table} (${copyList}) FROM '$f' WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NULL')" || exit 1; done`;
      manyCase.psql.push(await timed(() => run('bash', ['-c', loop, 'bash', url], { maxBuffer: 1 << 24 })));
      await reset();
      manyCase.ours.push((await stageInChild({ url, state, table, dir: many })).seconds);
    }

    const [bp, bo] = [median(bigCase.psql), median(bigCase.ours)];
    const [mp, mo] = [median(manyCase.psql), median(manyCase.ours)];
    const line = (what: string, seconds: number, rate: string) => `  ${what.padEnd(34)} ${seconds.toFixed(2).padStart(8)} s  ${rate}`;
    process.stdout.write(
      [
        `ingest bench (median of ${repeat}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`,
        `1) ${rows} rows, ${(rows === 0 ? 0 : (await stat(path.join(big, 'features.csv'))).size / rows).toFixed(0)} B/row, into ${table} (PK + UNIQUE)`,
        line('psql \\copy', bp, `${Math.round(rows / bp)} rows/s`),
        line('nocturne ingest (validated)', bo, `${Math.round(rows / bo)} rows/s, peak RSS ${Math.max(...bigCase.rss).toFixed(0)} MiB`),
        `  ratio nocturne/psql: ${(bp / bo).toFixed(2)}x (goal >= 0.70x, RSS < 150 MiB)`,
        `2) ${files} files x ${fileRows} rows`,
        line('shell loop of psql \\copy', mp, `${Math.round(files / mp)} files/s`),
        line('nocturne ingest (tx + ledger/file)', mo, `${Math.round(files / mo)} files/s`),
        `  ratio nocturne/psql: ${(mp / mo).toFixed(2)}x (goal >= 1000 files/s)`,
        '',
      ].join('\n'),
    );
  } finally {
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE; DROP SCHEMA IF EXISTS $2:name CASCADE', [catalogue, state]);
    await closeDb(db);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** One feature CSV: ~400 bytes a row, the long chain code making up most of it. */
async function writeCsv(file: string, name: string, rows: number, seed: number): Promise<void> {
  const out = createWriteStream(file);
  let block = `${HEADER}\n`;
  const cc = '0123456701234567'.repeat(14);
  for (let id = 1; id <= rows; id++) {
    const x = ((id * 7919 + seed) % 200_000) / 100 - 1000;
    block += `${id};hmi_${id % 97};2026-11-20T00:${String((id / 60) % 60 | 0).padStart(2, '0')}:${String(id % 60).padStart(2, '0')};HMI;${x.toFixed(3)};${(-x / 2).toFixed(3)};${(x / 20).toFixed(4)};${(x / 40).toFixed(4)};${id % 11 === 0 ? 'NULL' : (x / 10 + 180).toFixed(4)};${(x / 40).toFixed(4)};${(Math.abs(x) / 30).toFixed(3)};${(500 + x / 10).toFixed(2)};${id % 7 === 0 ? 'NULL' : (900 + x / 10).toFixed(2)};${cc.slice(id % 16)};${cc.length - (id % 16)};${name};2026-11-21T02:00:00\n`;
    if (block.length > 1 << 16) {
      if (!out.write(block)) await once(out, 'drain');
      block = '';
    }
  }
  out.end(block);
  await once(out, 'finish');
}

async function stageInChild(spec: Spec): Promise<{ seconds: number; maxRssMiB: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`bench child failed (exit ${code}): ${out}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as { seconds: number; maxRssMiB: number };
}

/** The child: one recorded ingest run over spec.dir, timed from its start to its outcome. */
async function child(spec: Spec): Promise<void> {
  const columns = Object.fromEntries(
    Object.entries(COLUMNS).map(([name, [from, type, nullable]]) => [name, { from, type, nullable: nullable ?? false, ...(type === 'timestamp' ? { format: TS } : {}) }]),
  );
  const pipeline = pipelineSchema.parse({
    name: 'bench',
    code: { name: 'bench', version: '1' },
    ingest: {
      schedule: '0 * * * *',
      source: { dir: spec.dir },
      csv: { delimiter: ';', nullValues: ['NULL'] },
      table: spec.table,
      columns,
      naturalKey: ['feat_filename', 'id_feat'],
      timeout: '1h',
    },
  });
  const config: NocturneConfig = {
    dir: spec.dir,
    daemon: daemonConfigSchema.parse({ database: { url: spec.url, schema: spec.state }, paths: { state: spec.dir } }),
    paths: { state: spec.dir, outbox: spec.dir, quarantine: path.join(spec.dir, 'q'), logs: spec.dir, work: spec.dir },
    pipelines: new Map([['bench', { config: pipeline, file: 'bench.yaml' }]]),
  };
  const db: Db = openDb({ url: spec.url, schema: spec.state, poolSize: 2, applicationName: 'nocturne-bench-stage' });
  try {
    const started = performance.now();
    const result = await executeStage(
      { config, db, logger: createLogger({ level: 'warn', destination: process.stderr }) },
      { pipeline: 'bench', stage: 'ingest', slot: new Date(), trigger: 'manual' },
    );
    const seconds = (performance.now() - started) / 1000;
    if (result.kind !== 'done' || !result.outcome.ok || result.outcome.stats['failed'] !== 0) {
      throw new Error(`ingest did not load everything: ${JSON.stringify(result)}`);
    }
    process.stdout.write(`${JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
  } finally {
    await closeDb(db);
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (process.argv[1] === SELF) await child(JSON.parse(process.argv[2]!) as Spec);
