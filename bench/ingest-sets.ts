/**
 * `npm run bench -- ingest-sets [--sets N] [--runs N] [--db URL]`
 *
 * A night of 3 codes × --sets (500) HFC file sets (harness/hfc-sets.ts: SDOSS with
 * two observations per set, SPoCA with a track file per set, RABAT3 in Latin-1) loaded by
 * the ingest stage in sets mode (a transaction per set, or per group of new sets loading
 * at once, track files among them when the run loaded their sets: see SetGroups), into
 * the catalogue of sql/catalogue;
 * beside it, psql `\copy` of the same files into plain copies of the same tables (no id
 * remapping, no ledger, one psql session per code), timed in the same run; then the
 * stage again over the same files (everything skipped). --runs (3) rounds, each in new
 * schemas, psql first in one and the stage first in the next; the round of median ratio
 * is printed whole. The stage runs in this process (no CLI start-up), on a pool of 5
 * (4 sets in flight, as the daemon's default pool allows). Prints figures, does not
 * judge them, with the CPU of this process and of its PostgreSQL backends (a local
 * server only, read from /proc). Last, the compiled CLI (`nocturne run <code> --stage
 * ingest`, built by `npm run bench`) loads the night once more in schemas of its own,
 * for its peak RSS.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { compileDaemon, compilePipeline } from '../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema } from '../src/config/schema.js';
import type { LoadedPipeline, NocturneConfig } from '../src/config/types.js';
import { closeDb, openDb, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createIngestStage, installCatalogue } from '../src/stages/ingest/index.js';
import type { StageOutcome } from '../src/stages/types.js';
import { HFC_CODES, writeHfcSets, type HfcCode } from '../harness/hfc-sets.js';
import { rig } from '../harness/rig.js';
import { roundTrips, since, type RoundTrips } from './round-trips.js';
import { timed } from './timing.js';
import { cli } from './ingest-cli.js';
import { directContext } from '../harness/stage-context.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..');
const CODES = Object.keys(HFC_CODES) as HfcCode[];

export async function bench(args: string[]): Promise<void> {
  const at = (name: string) => args.indexOf(`--${name}`);
  const sets = at('sets') >= 0 ? Number(args[at('sets') + 1]) : 500;
  const runs = at('runs') >= 0 ? Math.max(1, Number(args[at('runs') + 1])) : 3;
  const url = at('db') >= 0 ? args[at('db') + 1]! : (process.env['NOCTURNE_BENCH_DB'] ?? rig().pgUrl);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'nocturne-bench-sets-'));
  try {
    let files = 0;
    let tracks = 0;
    for (const code of CODES) {
      const generated = await writeHfcSets(path.join(tmp, code), { code, sets });
      files += generated.sets.reduce((n, s) => n + Object.keys(s.files).length, 0);
      tracks += generated.sets.filter((s) => s.files.track !== undefined).length;
    }
    const units = sets * CODES.length;
    const rounds: Round[] = [];
    for (let i = 1; i <= runs; i += 1) {
      // psql first in odd rounds, the stage first in even ones: neither always meets a cold server.
      const round = await benchRound(url, tmp, `bench_sets_${process.pid}_${i}`, i % 2 === 1);
      rounds.push(round);
      process.stdout.write(
        `  round ${i}: psql ${round.psql.seconds.toFixed(2)} s, nocturne ${round.first.seconds.toFixed(2)} s (load ${os.loadavg()[0]!.toFixed(2)})\n`,
      );
    }
    const peakRss = await cliPeakRss(url, tmp);
    // The round whose ratio is the median: its figures are printed whole.
    const byRatio = [...rounds].sort((a, b) => a.psql.seconds / a.first.seconds - b.psql.seconds / b.first.seconds);
    const { psql, first, again } = byRatio[Math.floor(byRatio.length / 2)]!;
    const line = (what: string, seconds: number, rate: string) => `  ${what.padEnd(44)} ${seconds.toFixed(2).padStart(8)} s  ${rate}`;
    process.stdout.write(
      [
        `ingest-sets bench, the round of median ratio of ${runs} (load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})`,
        `a night of ${CODES.length} codes x ${sets} sets (${files} files: init, feat when features were found, ${tracks} SPoCA track files), ${first.rows} catalogue rows`,
        line('psql \\copy, no remapping (1 session per code)', psql.seconds, `${Math.round(units / psql.seconds)} sets/s`),
        line(
          'nocturne ingest (sets alone or grouped)',
          first.seconds,
          `${Math.round(units / first.seconds)} sets/s (${first.loaded} loads incl. tracks, ${first.rejected} rejected)`,
        ),
        `  CPU of this process while loading: ${first.cpuSeconds.toFixed(2)} s (the rest is the server's)`,
        `  peak RSS of nocturne run <code> --stage ingest, in a process of its own: ${peakRss.toFixed(0)} MiB (goal < 150 MiB)`,
        `  CPU: this process ${first.user.toFixed(2)} s user + ${first.system.toFixed(2)} s system; its PostgreSQL backends ${first.serverSeconds.toFixed(2)} s; psql's ${psql.serverSeconds.toFixed(2)} s (with any other session that ended meanwhile)`,
        `  per set: ${(first.trips.queries / units).toFixed(2)} round trips, ${(first.trips.commits / units).toFixed(2)} commits`,
        line(
          'nocturne ingest again (all skipped)',
          again.seconds,
          `${Math.round(units / again.seconds)} sets/s (${again.skipped} skipped, ${again.loaded} loaded)`,
        ),
        '',
        `Sets: ${(psql.seconds / first.seconds).toFixed(2)}x psql \\copy (goal >= 0.8x)`,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface Load {
  seconds: number;
  cpuSeconds: number;
  user: number;
  system: number;
  serverSeconds: number;
  trips: RoundTrips;
  loaded: number;
  skipped: number;
  rows: number;
  rejected: number;
}

interface Round {
  psql: { seconds: number; serverSeconds: number };
  /** The stage over the night, then again over the same files (everything skipped). */
  first: Load;
  again: Load;
}

/** One round in schemas of its own (`state`, and its catalogue), dropped afterwards. */
async function benchRound(url: string, tmp: string, state: string, psqlFirst: boolean): Promise<Round> {
  const catalogue = `${state}_hfc`;
  const db = openDb({ url, schema: state, poolSize: 5, applicationName: 'nocturne-bench-sets' });
  try {
    await migrate(db, state);
    await installCatalogue(db, { schema: catalogue, stateSchema: state });
    const config = await benchConfig(tmp, url, state, catalogue);
    const stage = createIngestStage();
    const ingestAll = async (): Promise<Load> => {
      const outcomes: StageOutcome[] = [];
      const cpu = process.cpuUsage();
      const server = await serverCpu(db, 'pool');
      const trips = { ...roundTrips };
      const seconds = await timed(async () => {
        for (const code of CODES) outcomes.push(await stage(context(config, db, code)));
      });
      const used = process.cpuUsage(cpu);
      const serverSeconds = serverSince(server, await serverCpu(db, 'pool'));
      const failed = outcomes.filter((o) => !o.ok);
      if (failed.length > 0) throw new Error(failed.map((o) => o.error?.message ?? o.summary).join('\n'));
      const sum = (key: string) => outcomes.reduce((n, o) => n + (o.stats[key] ?? 0), 0);
      return {
        seconds,
        cpuSeconds: (used.user + used.system) / 1e6,
        user: used.user / 1e6,
        system: used.system / 1e6,
        serverSeconds,
        trips: since(trips),
        loaded: sum('loaded'),
        skipped: sum('skipped'),
        rows: sum('rows'),
        rejected: sum('rejected'),
      };
    };
    const psql = psqlFirst ? await psqlBaseline(db, url, tmp, catalogue, config) : undefined;
    const first = await ingestAll();
    const again = await ingestAll();
    return { psql: psql ?? (await psqlBaseline(db, url, tmp, catalogue, config)), first, again };
  } finally {
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE; DROP SCHEMA IF EXISTS $2:name CASCADE', [catalogue, state]);
    await closeDb(db);
  }
}

/** The repository's pipelines of the three codes, reading the generated directories into the bench catalogue. */
async function benchConfig(dir: string, url: string, state: string, catalogue: string): Promise<NocturneConfig> {
  const pipelines = new Map<string, LoadedPipeline>();
  for (const code of CODES) {
    const file = path.join(REPO, 'pipelines', `${code}.yaml`);
    pipelines.set(code, { config: compilePipeline(pipelineSchema.parse(await benchPipeline(code, dir, catalogue))), file });
  }
  return {
    dir,
    daemon: compileDaemon(daemonConfigSchema.parse({ database: { url, schema: state }, paths: { state: dir }, host: { name: 'bench' } })),
    paths: { state: dir, outbox: dir, quarantine: path.join(dir, 'quarantine'), logs: dir, work: path.join(dir, 'work') },
    pipelines,
  };
}

/** The repository's pipeline of `code`, its ingest stage alone, reading the generated directory into `catalogue`. */
async function benchPipeline(code: HfcCode, dir: string, catalogue: string): Promise<Record<string, unknown>> {
  const raw = parse(await readFile(path.join(REPO, 'pipelines', `${code}.yaml`), 'utf8')) as { ingest: { sets: Record<string, unknown> } };
  return {
    name: code,
    code: { name: code, version: HFC_CODES[code].version },
    ingest: { ...raw.ingest, source: { dir: path.join(dir, code) }, sets: { ...raw.ingest.sets, catalogue } },
  };
}

/**
 * The peak RSS of `nocturne run <code> --stage ingest` (the compiled CLI, in a process of
 * its own) over each code's night, in schemas of its own: this process's RSS is mostly
 * the bench's (tsx, the generated night).
 */
async function cliPeakRss(url: string, tmp: string): Promise<number> {
  const state = `bench_sets_${process.pid}_cli`;
  const catalogue = `${state}_hfc`;
  const configDir = path.join(tmp, 'cli');
  const db = openDb({ url, schema: state, poolSize: 1, applicationName: 'nocturne-bench-sets' });
  try {
    await migrate(db, state);
    await installCatalogue(db, { schema: catalogue, stateSchema: state });
    await mkdir(path.join(configDir, 'config'), { recursive: true });
    await mkdir(path.join(configDir, 'pipelines'), { recursive: true });
    await writeFile(
      path.join(configDir, 'config', 'nocturne.yaml'),
      stringify({ database: { url, schema: state }, paths: { state: path.join(configDir, 'state') }, http: { enabled: false } }),
    );
    let peak = 0;
    for (const code of CODES) {
      await writeFile(path.join(configDir, 'pipelines', `${code}.yaml`), stringify(await benchPipeline(code, tmp, catalogue)));
      peak = Math.max(peak, (await cli(configDir, code)).peakMiB);
    }
    return peak;
  } finally {
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE; DROP SCHEMA IF EXISTS $2:name CASCADE', [catalogue, state]);
    await closeDb(db);
  }
}

/** CPU ticks (1/100 s) of local process `pid` and of the children it has reaped, 0 when it is gone or not local. */
async function ticksOf(pid: string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat === '' ? 0 : Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
}

/**
 * CPU ticks so far of the local server's processes: `pool`, the backends of this
 * process's pool (application name nocturne-bench-sets), by pid; or the postmaster with
 * the backends it has reaped (psql's sessions, and those of any other client that ended).
 */
async function serverCpu(db: Db, which: 'pool' | 'ended'): Promise<Map<string, number>> {
  let pids: string[];
  if (which === 'pool') {
    pids = await db.map(
      `SELECT pid::text FROM pg_stat_activity WHERE application_name = 'nocturne-bench-sets'`,
      [],
      (r: { pid: string }) => r.pid,
    );
  } else {
    const dataDir = (await db.one<{ dir: string }>('SELECT current_setting($1) AS dir', ['data_directory'])).dir;
    pids = [(await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n', 1)[0]!];
  }
  const ticks = new Map<string, number>();
  for (const pid of pids) ticks.set(pid, await ticksOf(pid));
  return ticks;
}

/** Seconds of server CPU between two serverCpu() readings (a backend started between them counts from zero). */
function serverSince(before: Map<string, number>, after: Map<string, number>): number {
  let ticks = 0;
  for (const [pid, n] of after) ticks += n - (before.get(pid) ?? 0);
  return ticks / 100;
}

let runId = 1;

function context(config: NocturneConfig, db: Db, code: HfcCode) {
  return directContext(config, { pipeline: code, db, runId: runId++, date: '2014-02-21' });
}

/**
 * psql `\copy` of every member file into unconstrained copies of its table (the CSV's
 * local ids stored as they are), one psql session per code running one script.
 */
async function psqlBaseline(
  db: Db,
  url: string,
  dir: string,
  catalogue: string,
  config: NocturneConfig,
): Promise<{ seconds: number; serverSeconds: number }> {
  let seconds = 0;
  let serverSeconds = 0;
  for (const code of CODES) {
    const ingest = config.pipelines.get(code)!.config.ingest;
    if (ingest?.mode !== 'sets') throw new Error(`${code}: not in sets mode`);
    const { sets } = ingest;
    const members = { init: sets.observations, feat: sets.features, track: sets.tracking };
    const script: string[] = [];
    for (const [role, member] of Object.entries(members)) {
      if (!member) continue;
      const { table } = member;
      // The header that is not the column's name: the long form of a reference, or an alias.
      const renames = new Map<string, string>([
        ...Object.entries(sets.aliases).map(([from, to]) => [from, to.toLowerCase()] as [string, string]),
        ...Object.entries(member.references).flatMap(([header, ref]) =>
          typeof ref === 'string' ? [] : [[header, ref.column] as [string, string]],
        ),
      ]);
      const raw = `raw_${code.replace('-', '_')}_${table}`;
      await db.none(`CREATE TABLE $1:name.$2:name (LIKE $1:name.$3:name INCLUDING DEFAULTS)`, [catalogue, raw, table]);
      const notNull = await db.any<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND attnotnull AND NOT attisdropped`,
        [`"${catalogue}"."${raw}"`],
      );
      for (const { name } of notNull) await db.none('ALTER TABLE $1:name.$2:name ALTER $3:name DROP NOT NULL', [catalogue, raw, name]);
      // The fields as the writers write them (IDL's blank at the row end, floats for integer
      // columns, SDOSS's kB): text columns, so that \copy takes them unconverted.
      await db.none(
        `DO $$ DECLARE c record; BEGIN
           FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('"${catalogue}"."${raw}"') AND attnum > 0 AND NOT attisdropped LOOP
             EXECUTE format('ALTER TABLE %I.%I ALTER %I TYPE text', '${catalogue}', '${raw}', c.attname);
           END LOOP; END $$`,
      );
      const files = (await readdir(path.join(dir, code))).sort().filter((name) => name.endsWith(`_${role}.csv`));
      for (const name of files) {
        const file = path.join(dir, code, name);
        const header = (await readFile(file, ingest.csv.encoding)).split('\n', 1)[0]!.trimEnd();
        const columns = header.split(';').map((h) => renames.get(h) ?? h.toLowerCase());
        const nul = (sets.writer.nullValues ?? ingest.csv.nullValues)[0] ?? '';
        script.push(
          `\\copy "${catalogue}"."${raw}" (${columns.join(', ')}) FROM '${file}' WITH (FORMAT csv, HEADER true, DELIMITER ';', NULL '${nul}', ENCODING '${ingest.csv.encoding === 'latin1' ? 'LATIN1' : 'UTF8'}')`,
        );
      }
    }
    const scriptFile = path.join(dir, `${code}.psql`);
    await writeFile(scriptFile, `${script.join('\n')}\n`);
    const server = await serverCpu(db, 'ended');
    seconds += await timed(() => run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', scriptFile], { maxBuffer: 1 << 24 }));
    serverSeconds += serverSince(server, await serverCpu(db, 'ended'));
  }
  return { seconds, serverSeconds };
}
