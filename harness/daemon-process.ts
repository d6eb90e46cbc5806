/**
 * The built daemon as a real process (`node bin/nocturne.js daemon`), with a generated
 * configuration directory: for the integration tests and for bench/daemon.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';

export const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin/nocturne.js');

/** Node's options on bin/nocturne.js's first line: a test or bench runs the command as installed. */
export const BIN_NODE_ARGS = readFileSync(BIN, 'utf8').split('\n', 1)[0]!.split(/\s+/).slice(3);

export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [key: string]: unknown;
}

export interface DaemonSettings {
  pgUrl: string;
  schema: string;
  port: number;
  grace?: string;
  /** Targets of config/nocturne.yaml; default: "archive", a local directory. */
  targets?: Record<string, unknown>;
  /** pipelines/<name>.yaml contents, by name. */
  pipelines: Record<string, string>;
  /** Top-level sections of config/nocturne.yaml that replace the ones above (e.g. executor). */
  extra?: Record<string, unknown>;
}

/** Writes config/nocturne.yaml and pipelines/*.yaml under `dir` (state below dir/state). */
export async function writeDaemonConfig(dir: string, s: DaemonSettings): Promise<void> {
  await mkdir(path.join(dir, 'config'), { recursive: true });
  await mkdir(path.join(dir, 'pipelines'), { recursive: true });
  await mkdir(path.join(dir, 'state'), { recursive: true });
  const config = {
    host: { name: 'bench-host' },
    database: { url: s.pgUrl, schema: s.schema, poolSize: 4 },
    paths: { state: path.join(dir, 'state') },
    targets: s.targets ?? { archive: { type: 'local', path: path.join(dir, 'archive') } },
    http: { listen: `127.0.0.1:${s.port}` },
    shutdown: { grace: s.grace ?? '2s' },
    ...s.extra,
  };
  await writeFile(path.join(dir, 'config/nocturne.yaml'), stringify(config));
  for (const [name, text] of Object.entries(s.pipelines)) await writeFile(path.join(dir, 'pipelines', `${name}.yaml`), text);
}

/**
 * A daily schedule (UTC) whose slot is 12 hours after `now`: for a stage that a test's
 * daemon must not run by itself. Any fixed time, even "0 0 1 1 *" (New Year), comes due
 * for a test that runs across it; this one cannot during a test, whenever it starts.
 */
export function quietSchedule(now = new Date()): string {
  const slot = new Date(now.getTime() + 12 * 3_600_000);
  return `${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
}

/** A pipeline whose ingest stage reads an (empty) local directory on `schedule`. */
export function ingestPipeline(name: string, schedule: string, sourceDir: string, extra = ''): string {
  return [
    `name: ${name}`,
    `code: {name: ${name}, version: "1.0"}`,
    'ingest:',
    `  schedule: "${schedule}"`,
    '  retries: 0',
    `  source: {dir: "${sourceDir}"}`,
    '  table: public.bench_features',
    '  columns: {feature_id: {from: id, type: bigint}}',
    '  naturalKey: [feature_id]',
    extra,
    '',
  ].join('\n');
}

/** A running `nocturne daemon`, its JSON log lines collected as they come. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  #waiters: (() => void)[] = [];

  constructor(configDir: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = process.env) {
    this.#child = spawn(process.execPath, [...BIN_NODE_ARGS, ...nodeArgs, BIN, 'daemon', '--config', configDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ level: 0, msg: line, time: Date.now() });
      }
      for (const wake of this.#waiters) wake();
    });
    createInterface({ input: this.#child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      for (const wake of this.#waiters) wake();
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Not yet exited. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** The first log line (from line `from`, default the start) that matches, waiting up to `timeoutMs` for it. */
  async waitFor(match: (line: LogLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line, i) => i >= from && match(line));
      if (found) return found;
      if (Date.now() > deadline || this.#child.exitCode !== null) {
        const tail = [...this.lines.slice(-10).map((l) => JSON.stringify(l)), ...this.stderr.slice(-10)].join('\n');
        throw new Error(`daemon log: no ${what} within ${timeoutMs} ms (exit code ${this.#child.exitCode}); last lines:\n${tail}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#waiters = [];
    }
  }
}

/** Polls `check` every 100 ms until it returns a value, for at most `ms`. */
export async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A TCP port free on 127.0.0.1 right now, for a daemon that listens on it a moment later.
 * Drawn below Linux's ephemeral range (32768-60999): a port the kernel handed to this
 * probe could be handed to any other process's listen(0) or connect() in between (a
 * daemon of another test file then failed with EADDRINUSE); the kernel never picks these.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}

/** Runs the built `nocturne` command line; never throws on a non-zero exit. */
export function nocturne(args: string[], nodeArgs: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...BIN_NODE_ARGS, ...nodeArgs, BIN, ...args], { cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
