/**
 * `npm run bench -- ingest [--rows N] [--files N] [--file-rows N] [--repeat N] [--no-loop] [--db URL]`
 *
 * 1. One CSV of --rows rows (~400 bytes each) into a table with a primary key and a
 *    unique constraint: the ingest stage (hash, ledger, parse, validate every field,
 *    COPY) beside `psql \copy` of the same file into the same table.
 * 2. --files files of --file-rows rows: the stage (small files batched, see
 *    table/load-work.ts) beside a shell loop of `psql \copy`, one per file (left out with
 *    --no-loop: on a loaded machine it takes minutes, psql's start-up repeated 2,000 times).
 * Both sides are whole commands timed from start to exit: psql, and the real CLI
 * (`node bin/nocturne.js run <pipeline> --stage ingest`, compiled: `npm run bench` builds
 * first) with a generated configuration; the CLI's peak RSS is sampled from /proc.
 * The CLI's node gets the options of bin/nocturne.js's first line, as when installed, then
 * $BENCH_NODE_FLAGS (e.g. "--max-semi-space-size=16", V8's default).
 * Inputs are generated into a temporary directory and deleted afterwards. The database
 * is --db, $NOCTURNE_BENCH_DB or the test rig's. Prints figures, does not judge them.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { closeDb, openDb } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { installFeatureTables } from '../harness/feature-tables.js';
import { rig } from '../harness/rig.js';
import { cli } from './ingest-cli.js';
import { median, timed } from './timing.js';

const run = promisify(execFile);
const TS = '%Y-%m-%dT%H:%M:%S';
const COLUMNS: Record<string, [string, string, boolean?]> = {
  id_feat: ['ID_FEAT', 'int'],
  obs_id: ['OBS_ID', 'text'],
  date_obs: ['DATE_OBS', 'timestamp'],
  instrume: ['INSTRUME', 'text'],
  feat_x_arcsec: ['FEAT_X_ARCSEC', 'float'],
  feat_y_arcsec: ['FEAT_Y_ARCSEC', 'float'],
  feat_hg_long_deg: ['FEAT_HG_LONG_DEG', 'float'],
  feat_hg_lat_deg: ['FEAT_HG_LAT_DEG', 'float'],
  feat_carr_long_deg: ['FEAT_CARR_LONG_DEG', 'float', true],
  feat_carr_lat_deg: ['FEAT_CARR_LAT_DEG', 'float', true],
  feat_area_deg2: ['FEAT_AREA_DEG2', 'float'],
  feat_mean_int: ['FEAT_MEAN_INT', 'float'],
  feat_max_int: ['FEAT_MAX_INT', 'float', true],
  cc: ['CC', 'text', true],
  cc_length: ['CC_LENGTH', 'int', true],
  feat_filename: ['FEAT_FILENAME', 'text'],
  run_date: ['RUN_DATE', 'timestamp'],
};
const HEADER = Object.values(COLUMNS)
  .map(([from]) => from)
  .join(';');

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
    // The single-CSV tests' feature table (the HFC catalogue is loaded by sets: bench ingest-sets).
    await installFeatureTables(db, { schema: catalogue, stateSchema: state });
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
    await writeConfig(tmp, url, state, table, { big, many });

    const reset = () => db.none(`TRUNCATE $1:name.bench_features; DELETE FROM ingested_files; CHECKPOINT`, [catalogue]);
    const copyList = Object.keys(COLUMNS).join(',');
    const psqlCopy = (file: string) =>
      `\\copy ${table} (${copyList}) FROM '${file}' WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL 'NULL')`;

    const bigCase = { psql: [] as number[], ours: [] as number[], rss: [] as number[] };
    const manyCase = {
      psql: [] as number[],
      ours: [] as number[],
      stage: [] as number[],
      rss: [] as number[],
      trips: { queries: 0, commits: 0 },
    };
    for (let r = 0; r < repeat; r++) {
      await reset();
      bigCase.psql.push(
        await timed(() => run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', psqlCopy(path.join(big, 'features.csv'))])),
      );
      await reset();
      const loaded = await cli(tmp, 'big');
      bigCase.ours.push(loaded.seconds);
      bigCase.rss.push(loaded.peakMiB);

      if (files === 0) continue;
      await reset();
      if (!args.includes('--no-loop')) {
        const loop = `for f in "${many}"/*.csv; do psql "$1" -X -q -v ON_ERROR_STOP=1 -c "${psqlCopy('$f')}" || exit 1; done`;
        manyCase.psql.push(await timed(() => run('bash', ['-c', loop, 'bash', url], { maxBuffer: 1 << 24 })));
      }
      await reset();
      const manyRun = await cli(tmp, 'many');
      manyCase.ours.push(manyRun.seconds);
      // The stage alone, as its run record has it: the command's start-up and exit left out.
      const { seconds } = await db.one<{ seconds: number }>(
        `SELECT extract(epoch FROM finished_at - started_at)::float8 AS seconds FROM runs WHERE pipeline = 'many' ORDER BY id DESC LIMIT 1`,
      );
      manyCase.stage.push(seconds);
      manyCase.rss.push(manyRun.peakMiB);
    }
    // Counted apart: the counter needs tsx in the CLI, whose start-up the timed runs must not carry.
    if (files > 0) {
      await reset();
      manyCase.trips = (await cli(tmp, 'many', true)).trips;
    }

    const [bp, bo] = [median(bigCase.psql), median(bigCase.ours)];
    const [mp, mo] = [manyCase.psql.length > 0 ? median(manyCase.psql) : Number.NaN, median(manyCase.ours)];
    const perFile = (n: number) => (n / files).toFixed(2);
    const line = (what: string, seconds: number, rate: string) => `  ${what.padEnd(34)} ${seconds.toFixed(2).padStart(8)} s  ${rate}`;
    process.stdout.write(
      [
        `ingest bench (median of ${repeat}; load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})`,
        `1) ${rows} rows, ${(rows === 0 ? 0 : (await stat(path.join(big, 'features.csv'))).size / rows).toFixed(0)} B/row, into ${table} (PK + UNIQUE)`,
        line('psql \\copy', bp, `${Math.round(rows / bp)} rows/s`),
        line('nocturne run --stage ingest', bo, `${Math.round(rows / bo)} rows/s, peak RSS ${Math.max(...bigCase.rss).toFixed(0)} MiB`),
        `  ratio nocturne/psql: ${(bp / bo).toFixed(2)}x (goal >= ${rows >= 1_000_000 ? '0.90' : '0.70'}x, RSS < 150 MiB)`,
        ...(files === 0
          ? ['2) left out (--files 0)']
          : [
              `2) ${files} files x ${fileRows} rows`,
              Number.isNaN(mp)
                ? '  shell loop of psql \\copy: left out (--no-loop)'
                : line('shell loop of psql \\copy', mp, `${Math.round(files / mp)} files/s`),
              line(
                'nocturne run --stage ingest',
                mo,
                `${Math.round(files / mo)} files/s, peak RSS ${Math.max(...manyCase.rss).toFixed(0)} MiB (goal >= 1000 files/s)`,
              ),
              line('  the stage alone (its run record)', median(manyCase.stage), `${Math.round(files / median(manyCase.stage))} files/s`),
              `  ratio nocturne/psql: ${Number.isNaN(mp) ? '-' : `${(mp / mo).toFixed(2)}x`}; per file: ${perFile(manyCase.trips.queries)} round trips, ${perFile(manyCase.trips.commits)} commits`,
            ]),
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
    const time = `2026-11-20T00:${String(((id / 60) % 60) | 0).padStart(2, '0')}:${String(id % 60).padStart(2, '0')}`;
    const fields = [
      id,
      `hmi_${id % 97}`,
      time,
      'HMI',
      x.toFixed(3),
      (-x / 2).toFixed(3),
      (x / 20).toFixed(4),
      (x / 40).toFixed(4),
      id % 11 === 0 ? 'NULL' : (x / 10 + 180).toFixed(4),
      (x / 40).toFixed(4),
      (Math.abs(x) / 30).toFixed(3),
      (500 + x / 10).toFixed(2),
      id % 7 === 0 ? 'NULL' : (900 + x / 10).toFixed(2),
      cc.slice(id % 16),
      cc.length - (id % 16),
      name,
      '2026-11-21T02:00:00',
    ];
    block += `${fields.join(';')}\n`;
    if (block.length > 1 << 16) {
      if (!out.write(block)) await once(out, 'drain');
      block = '';
    }
  }
  out.end(block);
  await once(out, 'finish');
}

/** Writes config/nocturne.yaml and one pipeline per case (big, many) for the CLI. */
async function writeConfig(dir: string, url: string, state: string, table: string, sources: Record<string, string>): Promise<void> {
  await mkdir(path.join(dir, 'config'), { recursive: true });
  await mkdir(path.join(dir, 'pipelines'), { recursive: true });
  await writeFile(
    path.join(dir, 'config', 'nocturne.yaml'),
    stringify({ database: { url, schema: state }, paths: { state: path.join(dir, 'state') }, http: { enabled: false } }),
  );
  const columns = Object.fromEntries(
    Object.entries(COLUMNS).map(([name, [from, type, nullable]]) => [
      name,
      { from, type, ...(nullable ? { nullable } : {}), ...(type === 'timestamp' ? { format: TS } : {}) },
    ]),
  );
  for (const [name, source] of Object.entries(sources)) {
    const ingest = {
      schedule: '0 * * * *',
      source: { dir: source },
      csv: { delimiter: ';', nullValues: ['NULL'] },
      table,
      columns,
      naturalKey: ['feat_filename', 'id_feat'],
      timeout: '1h',
    };
    await writeFile(path.join(dir, 'pipelines', `${name}.yaml`), stringify({ name, code: { name: 'bench', version: '1' }, ingest }));
  }
}
