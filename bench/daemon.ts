/**
 * `npm run bench -- daemon [--pipelines 10] [--idle 60] [--starts 5]`: the daemon's
 * start-up time (spawn → `ready`), the modules it loads at start, and its idle RSS and
 * CPU with N pipelines of three stages each loaded. Needs the rig's PostgreSQL (or
 * $NOCTURNE_BENCH_PG_URL) and a build.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeDb, openDb } from '../src/db/database.js';
import { rig } from '../harness/rig.js';
import { DaemonProcess, freePort, writeDaemonConfig } from '../harness/daemon-process.js';
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

async function startOnce(dir: string, nodeArgs: string[] = []): Promise<{ ms: number; cpuMs: number; daemon: DaemonProcess }> {
  const t0 = performance.now();
  const daemon = new DaemonProcess(dir, nodeArgs);
  await daemon.waitFor((l) => l.msg === 'ready', 30_000, '"ready"');
  const ms = performance.now() - t0;
  // CPU the start cost (user + system): less swayed than wall time by whatever else the machine runs.
  const cpuMs = ((await procStat(daemon.pid)).ticks * 1000) / CLK_TCK;
  return { ms, cpuMs, daemon };
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
    for (let i = 0; i < starts; i++) {
      const { ms, cpuMs, daemon } = await startOnce(dir);
      startMs.push(ms);
      startCpuMs.push(cpuMs);
      await stop(daemon);
    }

    // Which modules the daemon resolved by the time it was ready (ESM resolution hook).
    const trace = path.join(dir, 'resolved.txt');
    const hooks = path.join(dir, 'hooks.mjs');
    await writeFile(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) {\n` +
        `  const r = await next(s, c); appendFileSync(${JSON.stringify(trace)}, r.url + '\\n'); return r;\n}\n`,
    );
    await writeFile(
      path.join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const traced = await startOnce(dir, ['--import', path.join(dir, 'register.mjs')]);
    await stop(traced.daemon);
    const urls = new Set((await readFile(trace, 'utf8')).split('\n').filter(Boolean));
    const packages = new Set([...urls].flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []));
    const heavyLoaded = HEAVY.filter((p) => packages.has(p));

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
      [`node -e 0 (median of ${starts})`, `${median(bare).toFixed(0)} ms`],
      ['modules resolved at start (ESM)', `${urls.size}, from ${packages.size} packages: ${[...packages].sort().join(' ')}`],
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
