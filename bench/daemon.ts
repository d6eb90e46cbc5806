/**
 * `npm run bench -- daemon [--pipelines 10] [--idle 60] [--starts 5]`: the daemon's
 * start-up time (spawn → `ready`), the modules it loads at start, and its idle RSS and
 * CPU with N pipelines of three stages each loaded. Needs the rig's PostgreSQL (or
 * $NOCTURNE_BENCH_PG_URL) and a build.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closeDb, openDb } from '../src/db/database.js';
import { rig } from '../harness/rig.js';
import { BIN_NODE_ARGS, DaemonProcess, freePort, REPO, writeDaemonConfig, type LogLine } from '../harness/daemon-process.js';
import { startTraced } from '../harness/start-trace.js';
import { median } from './timing.js';

const HEAVY = ['sharp', 'ssh2', 'ssh2-sftp-client', 'basic-ftp', 'csv-parse', 'csv-stringify', 'pg-copy-streams'];
const CLK_TCK = 100;

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback;
}

/** A pipeline with all three stages, scheduled once a year so that nothing fires while measuring. */
function fullPipeline(name: string, dir: string): string {
  const when = `  schedule: "0 0 1 1 *"\n  timezone: Europe/Paris`;
  return [
    `name: ${name}`,
    `code: {name: ${name}, version: "1.0"}`,
    'run:',
    when,
    `  command: ["${path.join(dir, 'detect.sh')}", "{input}", "{outdir}"]`,
    `  inputs: {glob: "${path.join(dir, 'data')}/{yyyy}/{mm}/{dd}/*.fits"}`,
    'upload:',
    when,
    '  target: archive',
    '  remoteDir: /hfc/{code}/{yyyy}/{mm}',
    'ingest:',
    when,
    // Where its uploads land: each pipeline ingests its own directory (overlapping sources are refused).
    `  source: {dir: "${path.join(dir, 'archive', 'hfc', name)}"}`,
    `  table: public.${name.replace(/-/g, '_')}_features`,
    '  columns: {feature_id: {from: id, type: bigint}}',
    '  naturalKey: [feature_id]',
    '',
  ].join('\n');
}

function procStat(pid: number): Promise<{ ticks: number }> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((text) => {
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]) };
  });
}

async function memory(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/** Where the time to "ready" went, from the daemon's own log lines (ms since the spawn). */
interface Phases {
  /** Node's start, loading the modules, reading and validating the configuration. */
  toStarting: number;
  /** Connecting to the state database, the migrations check, the observing nights. */
  database: number;
  /** Heartbeat, housekeeping, scheduler (each stage's next slot), campaigns, HTTP server. */
  rest: number;
}

function phases(lines: readonly LogLine[], spawnedAt: number): Phases {
  const at = (msg: string) => lines.find((l) => l.msg === msg)?.time ?? NaN;
  const [starting, schema, ready] = [at('starting'), at('state schema ready'), at('ready')];
  return { toStarting: starting - spawnedAt, database: schema - starting, rest: ready - schema };
}

/** Whether V8 takes dist/nocturne.cjs.cache as bin/nocturne.js hands it over (same node options): else ~60 ms more a start. */
function codeCache(): string {
  const check = `const fs = require('fs'), vm = require('vm'), b = ${JSON.stringify(path.join(REPO, 'dist/nocturne.cjs'))};
    const s = fs.readFileSync(b, 'utf8'), line = Buffer.from(s.slice(0, s.indexOf('\\n') + 1)), c = fs.readFileSync(b + '.cache');
    if (!c.subarray(0, line.length).equals(line)) console.log('of another build');
    else console.log(new vm.Script(require('module').wrap(s), { filename: b, cachedData: c.subarray(line.length) }).cachedDataRejected ? 'rejected by V8' : 'used');`;
  const run = spawnSync(process.execPath, [...BIN_NODE_ARGS, '-e', check], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : `none (${run.stderr.split('\n').find((l) => l.startsWith('Error')) ?? run.status})`;
}

async function startOnce(dir: string): Promise<{ ms: number; cpuMs: number; phases: Phases; daemon: DaemonProcess }> {
  const spawnedAt = Date.now();
  const t0 = performance.now();
  const daemon = new DaemonProcess(dir);
  await daemon.waitFor((l) => l.msg === 'ready', 30_000, '"ready"');
  const ms = performance.now() - t0;
  // CPU the start cost (user + system): less swayed than wall time by whatever else the machine runs.
  const cpuMs = ((await procStat(daemon.pid)).ticks * 1000) / CLK_TCK;
  return { ms, cpuMs, phases: phases(daemon.lines, spawnedAt), daemon };
}

async function stop(daemon: DaemonProcess): Promise<void> {
  daemon.kill('SIGTERM');
  await daemon.exited;
}

export async function bench(args: string[]): Promise<void> {
  const pipelines = flag(args, '--pipelines', 10);
  const idleSeconds = flag(args, '--idle', 60);
  const starts = flag(args, '--starts', 5);
  const pgUrl = process.env['NOCTURNE_BENCH_PG_URL'] ?? rig().pgUrl;
  const schema = `bench_daemon_${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-bench-daemon-'));
  const names = Array.from({ length: pipelines }, (_, i) => `pipeline-${i + 1}`);
  await writeDaemonConfig(dir, {
    pgUrl,
    schema,
    port: await freePort(),
    pipelines: Object.fromEntries(names.map((n) => [n, fullPipeline(n, dir)])),
  });
  try {
    const bare = Array.from({ length: starts }, () => {
      const t0 = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - t0;
    });
    // The first start migrates the schema; the ones measured find it up to date.
    await stop((await startOnce(dir)).daemon);
    const startMs: number[] = [];
    const startCpuMs: number[] = [];
    const split: Phases[] = [];
    for (let i = 0; i < starts; i++) {
      const { ms, cpuMs, phases: p, daemon } = await startOnce(dir);
      startMs.push(ms);
      startCpuMs.push(cpuMs);
      split.push(p);
      await stop(daemon);
    }

    // What the daemon loaded by the time it was ready.
    const traced = await startTraced(dir, dir);
    const loaded = await traced.loaded();
    await stop(traced.daemon);
    const heavyLoaded = HEAVY.filter((p) => loaded.packages.includes(p));
    const undici = loaded.builtins.some((m) => m.includes('undici'));

    const { daemon } = await startOnce(dir);
    await new Promise((r) => setTimeout(r, 5_000));
    const before = await procStat(daemon.pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const after = await procStat(daemon.pid);
    const cpuPercent = ((after.ticks - before.ticks) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
    const idle = await memory(daemon.pid);
    await stop(daemon);

    const rows: [string, string][] = [
      ['pipelines loaded (3 stages each)', String(pipelines)],
      [
        `start-up, spawn → "ready" (median of ${starts})`,
        `${median(startMs).toFixed(0)} ms (min ${Math.min(...startMs).toFixed(0)}, max ${Math.max(...startMs).toFixed(0)}; goal ≤ 300 ms)`,
      ],
      [`CPU until "ready", user + system (median of ${starts})`, `${median(startCpuMs).toFixed(0)} ms`],
      [
        '  of the wall time (medians): to "starting"',
        `${median(split.map((p) => p.toStarting)).toFixed(0)} ms (node, modules, configuration)`,
      ],
      ['  "starting" → "state schema ready"', `${median(split.map((p) => p.database)).toFixed(0)} ms (connect, migrations check, nights)`],
      ['  "state schema ready" → "ready"', `${median(split.map((p) => p.rest)).toFixed(0)} ms (heartbeat, scheduler, HTTP...)`],
      [`node -e 0 (median of ${starts})`, `${median(bare).toFixed(0)} ms`],
      [
        'modules loaded at start',
        `${loaded.evaluated.length} of src/ evaluated lazily, ${loaded.cjs.length} CommonJS required, ${loaded.builtins.length} of Node's own`,
      ],
      ['V8 code cache of dist/nocturne.cjs', codeCache()],
      ['packages loaded at start', `${loaded.packages.length}: ${loaded.packages.join(' ')}`],
      ["Node's fetch (undici) loaded at start", undici ? 'yes' : 'no'],
      ['heavy modules loaded at start', heavyLoaded.length === 0 ? 'none' : heavyLoaded.join(', ')],
      [`idle CPU over ${idleSeconds} s`, `${cpuPercent.toFixed(3)} % (goal ≤ 0.5 %)`],
      ['idle RSS (VmRSS)', `${idle.rssMiB.toFixed(1)} MiB (goal ≤ 80 MiB)`],
      ['peak RSS (VmHWM)', `${idle.peakMiB.toFixed(1)} MiB`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  } finally {
    const db = openDb({ url: pgUrl, schema: 'public' });
    await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
    await closeDb(db);
    await rm(dir, { recursive: true, force: true });
  }
}
