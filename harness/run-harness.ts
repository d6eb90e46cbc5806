/**
 * A pipeline with the example detection code, its own state schema, temp directories and
 * observations written per test: what the run stage's integration tests share.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { systemClock } from '../src/core/clock.js';
import { compileDaemon, compilePipeline } from '../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema, type PipelineConfig } from '../src/config/schema.js';
import type { LoadedPipeline, NocturneConfig } from '../src/config/types.js';
import { createExecutor } from '../src/executors/create-executor.js';
import type { ProcessRunner } from '../src/executors/process-runner.js';
import type { SlurmCommands } from '../src/executors/slurm/slurm-executor.js';
import type { Executor } from '../src/executors/types.js';
import { bashQuote } from '../src/executors/wrapper-script.js';
import { createLogger, type Logger } from '../src/log/logger.js';
import { createRunStage } from '../src/stages/run/index.js';
import type { StageContext, StageOutcome } from '../src/stages/types.js';
import { createTestDb, type TestDb } from './db.js';
import { rig, slurmEnv } from './rig.js';

const execFileAsync = promisify(execFile);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DETECT = path.join(REPO, 'examples', 'detect', 'detect.mjs');
export const NIGHT = '2026-11-20';

export type RunOverrides = Partial<NonNullable<PipelineConfig['run']>> & Record<string, unknown>;

export interface RunOptions {
  extra?: Partial<StageContext>;
  /** Other SLURM client binaries (wrappers, fakes). */
  commands?: Partial<SlurmCommands>;
  /** Added to the environment of the SLURM commands and local tasks. */
  env?: Record<string, string>;
  /** Runs the SLURM commands (default: execFile). */
  runner?: ProcessRunner;
  /** Wraps the executor, to watch it. */
  decorate?: (executor: Executor) => Executor;
}

/** What harness/run-stage-child.ts needs to run the stage on this harness. */
export interface ChildSpec {
  url: string;
  schema: string;
  config: Omit<NocturneConfig, 'pipelines'>;
  pipeline: LoadedPipeline;
  date: string;
  options: RunOptions;
}

export interface HarnessOptions {
  pollInterval?: string;
  lostAfter?: string;
  concurrency?: number;
  /** executor.slurm.maxSubmitted: the global submission cap. */
  maxSubmitted?: number;
}

/** One JSON log line. */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** A logger whose lines the test reads. */
export function capturedLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  return { logger, lines };
}

/** The run stage with the real executor, on the rig's SLURM (SLURM_CONF) or local processes. */
export function stageFor(options: RunOptions = {}) {
  const decorate = options.decorate ?? ((e: Executor) => e);
  return createRunStage({
    executor: (settings, ctx) =>
      decorate(
        createExecutor({
          kind: settings.executor,
          logger: ctx.logger,
          lostAfterMs: settings.lostAfterMs,
          concurrency: settings.concurrency,
          env: slurmEnv(options.env),
          slurmCommands: options.commands ?? {},
          ...(options.runner ? { runner: options.runner } : {}),
        }),
      ),
    markerGraceMs: 5_000,
  });
}

/** A stage context as executeStage makes one, for a manual run of NIGHT. */
export function stageContext(
  base: Pick<StageContext, 'config' | 'pipeline' | 'db' | 'logger'>,
  extra: Partial<StageContext> = {},
): StageContext {
  return {
    ...base,
    clock: systemClock,
    signal: new AbortController().signal,
    runId: 0,
    slot: new Date(),
    date: NIGHT,
    dryRun: false,
    progress: { update() {}, done() {} },
    print: () => {},
    ...extra,
  };
}

export interface Harness {
  dir: string;
  t: TestDb;
  config: NocturneConfig;
  logger: Logger;
  outbox(pipeline: string): string;
  /** The pipeline as its YAML file says it (durations as text), e.g. to write that file. */
  written(name: string, run?: RunOverrides): PipelineConfig;
  pipeline(name: string, run?: RunOverrides): LoadedPipeline;
  writeObs(code: string, night: string, name: string, fields: Record<string, string | number>): Promise<string>;
  /** Writes a detection code of the test's own: an executable bash script in the harness directory. */
  writeCode(name: string, body: string): Promise<string>;
  context(pipeline: LoadedPipeline, extra?: Partial<StageContext>): StageContext;
  run(pipeline: LoadedPipeline, options?: RunOptions): Promise<StageOutcome>;
  /** The same run in a child process (to be killed with -9). */
  spawn(pipeline: LoadedPipeline, options?: RunOptions): Promise<ChildProcess>;
  close(): Promise<void>;
}

export async function createHarness(label: string, executor: 'slurm' | 'local', options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), `noc-run-${label}-`));
  const t = await createTestDb(label);
  const daemon = compileDaemon(
    daemonConfigSchema.parse({
      database: { url: t.url, schema: t.schema },
      executor: {
        type: executor,
        slurm: {
          pollInterval: options.pollInterval ?? '1s',
          lostAfter: options.lostAfter ?? '30s',
          ...(options.maxSubmitted === undefined ? {} : { maxSubmitted: options.maxSubmitted }),
        },
        local: { concurrency: options.concurrency ?? 4 },
      },
      paths: { state: dir },
    }),
  );
  const p = (name: string) => path.join(dir, name);
  const pipelines = new Map<string, LoadedPipeline>();
  const config: NocturneConfig = {
    dir,
    daemon,
    paths: { state: dir, outbox: p('outbox'), quarantine: p('quarantine'), logs: p('logs'), work: p('work') },
    pipelines,
  };
  const logger = createLogger({ level: process.env['NOCTURNE_TEST_LOG'] ?? 'silent', pretty: false });
  const h: Harness = {
    dir,
    t,
    config,
    logger,
    outbox: (name) => path.join(config.paths.outbox, name),
    written(name, run = {}) {
      return pipelineSchema.parse({
        name,
        code: { name, version: '1.0.6' },
        run: {
          schedule: '0 2 * * *',
          command: [DETECT, '--code', name, '--version', '1.0.6', '--input', '{input}', '--outdir', '{outdir}'],
          inputs: { glob: `obs/${name}/{yyyy}/{mm}/{dd}/*.obs` },
          slurm: { partition: rig().slurm.partition, time: '00:05:00', mem: '200M' },
          retries: 2,
          ...run,
        },
      });
    },
    pipeline(name, run = {}) {
      const loaded = { config: compilePipeline(h.written(name, run)), file: path.join(dir, 'pipelines', `${name}.yaml`) };
      pipelines.set(name, loaded);
      return loaded;
    },
    async writeObs(code, night, name, fields) {
      const [yyyy = '', mm = '', dd = ''] = night.split('-');
      const obsDir = path.join(dir, 'obs', code, yyyy, mm, dd);
      await mkdir(obsDir, { recursive: true });
      const file = path.join(obsDir, `${name}.obs`);
      const body = { instrument: 'HMI', date_obs: `${night}T00:00:45`, seed: 7, ...fields };
      await writeFile(
        file,
        Object.entries(body)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      return file;
    },
    async writeCode(name, body) {
      const file = path.join(dir, `${name}.sh`);
      await writeFile(file, `#!/bin/bash\n${body}`, { mode: 0o755 });
      return file;
    },
    context(pipeline, extra = {}) {
      return stageContext({ config, pipeline, db: t.db, logger }, extra);
    },
    run(pipeline, runOptions = {}) {
      return stageFor(runOptions)(h.context(pipeline, runOptions.extra));
    },
    async spawn(pipeline, runOptions = {}) {
      const spec: ChildSpec = {
        url: t.url,
        schema: t.schema,
        config: { dir, daemon, paths: config.paths },
        pipeline,
        date: NIGHT,
        options: { ...(runOptions.commands ? { commands: runOptions.commands } : {}), ...(runOptions.env ? { env: runOptions.env } : {}) },
      };
      const file = path.join(dir, `child-${Date.now()}.json`);
      await writeFile(file, JSON.stringify(spec));
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'harness/run-stage-child.ts'), file], {
        cwd: REPO,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      return child;
    },
    async close() {
      await t.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Files in the outbox, hidden working directories excluded. */
export async function outboxFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => []);
  return entries.filter((e) => !e.startsWith('.')).sort();
}

export interface TaskRow {
  obs: string;
  attempt: number;
  state: string;
  scheduler_state: string | null;
  exit_code: number | null;
  signal: number | null;
  reason: string | null;
  retryable: boolean | null;
  log_path: string;
  log_tail: string | null;
  outputs: string[] | null;
}

export async function tasksOf(t: TestDb, pipeline: string): Promise<TaskRow[]> {
  return t.db.any<TaskRow>(
    `SELECT obs, attempt, state, scheduler_state, exit_code, signal, reason, retryable, log_path, log_tail, outputs
       FROM job_tasks WHERE pipeline = $1 ORDER BY obs, attempt`,
    [pipeline],
  );
}

export async function observationStates(t: TestDb, pipeline: string): Promise<Record<string, string>> {
  const rows = await t.db.any<{ obs: string; state: string }>('SELECT obs, state FROM observations WHERE pipeline = $1', [pipeline]);
  return Object.fromEntries(rows.map((r) => [r.obs, r.state]));
}

/**
 * Stand-ins for SLURM clients, written into `dir`: each records its call in the returned
 * file, then runs the real command, or, for `sacct: 'disabled'`, fails as sacct does on
 * a cluster without accounting. Paths are written into the scripts: sbatch runs with a
 * filtered environment.
 */
export async function recordingCommands(
  dir: string,
  names: Array<keyof SlurmCommands>,
  fakes: { sacct?: 'disabled' } = {},
): Promise<{ commands: Partial<SlurmCommands>; calls: (command: string) => Promise<string[]> }> {
  const bin = path.join(dir, `bin-${Math.random().toString(36).slice(2)}`);
  const callsFile = path.join(bin, 'calls');
  await mkdir(bin, { recursive: true });
  const commands: Partial<SlurmCommands> = {};
  const record = (name: string) => `echo "${name} $*" >> ${bashQuote(callsFile)}`;
  for (const name of names) {
    const real = (await execFileAsync('bash', ['-c', `command -v ${name}`])).stdout.trim();
    const body =
      fakes.sacct === 'disabled' && name === 'sacct'
        ? `${record(name)}\necho "sacct: error: Slurm accounting storage is disabled" >&2\nexit 1\n`
        : `${record(name)}\nexec ${bashQuote(real)} "$@"\n`;
    commands[name] = path.join(bin, name);
    await writeFile(commands[name], `#!/bin/bash\n${body}`, { mode: 0o755 });
  }
  const calls = async (command: string) =>
    (await readFile(callsFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith(`${command} `));
  return { commands, calls };
}

/** Runs a SLURM client of the rig; rejects on a non-zero exit. */
export async function slurm(command: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { env: slurmEnv() });
  return stdout;
}

/** A job state sacct gives before the job's end is recorded. */
const NOT_ENDED = /^(PENDING|RUNNING|COMPLETING|CONFIGURING|REQUEUED|RESIZING|SUSPENDED|STAGE_OUT)/;

/**
 * sacct's `JobName|State` lines (one per job, or per array task) for the jobs named, sorted,
 * once slurmdbd has recorded the end of each: it records it a moment after squeue
 * stopped listing the job, which is when the run stage may have ended its task.
 */
export async function endedInAccounting(names: readonly string[]): Promise<string[]> {
  return eventually(
    async () => {
      const out = await slurm('sacct', ['-X', '-n', '-P', `--name=${names.join(',')}`, '--starttime=now-1hour', '-o', 'JobName,State']);
      const lines = out.trim().split('\n').filter(Boolean).sort();
      const ended = lines.every((l) => !NOT_ENDED.test(l.split('|')[1] ?? ''));
      return ended && names.every((n) => lines.some((l) => l.startsWith(`${n}|`))) && lines;
    },
    `the accounting to record the end of ${names.join(', ')}`,
  );
}

/** `<id>_<index>` (or `<id>`) of the latest task of an observation, once submitted. */
export async function slurmTaskId(t: TestDb, pipeline: string, obs: string): Promise<string | null> {
  const row = await t.db.oneOrNone<{ scheduler_id: string; task_index: number; is_array: boolean }>(
    `SELECT j.scheduler_id, t.task_index, j.is_array FROM job_tasks t JOIN jobs j ON j.id = t.job
      WHERE t.pipeline = $1 AND t.obs = $2 AND j.scheduler_id IS NOT NULL ORDER BY t.attempt DESC LIMIT 1`,
    [pipeline, obs],
  );
  if (!row) return null;
  return row.is_array ? `${row.scheduler_id}_${row.task_index}` : row.scheduler_id;
}

/** Resolves once `check` returns a value, polling every 200 ms. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
