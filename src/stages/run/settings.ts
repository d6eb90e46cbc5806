import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import { formatDuration } from '../../config/durations.js';
import type { ExecutorKind, JobResources } from '../../executors/types.js';
import { toBashPattern } from '../../executors/wrapper-script.js';
import type { StageContext } from '../types.js';
import type { Caps } from '../../fair-share/shares.js';

/** The run stage's configuration, resolved: absolute paths, milliseconds, merged defaults. */
export interface RunSettings {
  pipeline: string;
  /** The pipeline's YAML file, for messages. */
  file: string;
  executor: ExecutorKind;
  /** The detection code: command[0] made absolute, placeholders left in. */
  command: string[];
  /** Absolute input glob, with {yyyy} {mm} {dd} left in. */
  inputGlob: string;
  lookbackDays: number;
  array: { throttle: number } | undefined;
  /** Submission caps (slurm only): this pipeline's (run.maxRunning) and all pipelines' together (executor.slurm.maxSubmitted). */
  caps: Caps;
  resources: JobResources;
  outbox: string;
  /** Job directories: <paths.work>/run/<pipeline>. */
  workDir: string;
  /** Task logs: <paths.logs>/<pipeline>. */
  logDir: string;
  csvGlob: string;
  quicklookGlob: string;
  /** CSV outputs that must hold a row under their header (run.outputs.rowsRequired). */
  rowsRequired: string[];
  retries: number;
  retryTimeout: boolean;
  pollIntervalMs: number;
  lostAfterMs: number;
  /** A wait that needs a person, longer than this, is a warning (run.waitWarning). */
  waitWarningMs: number;
  /** The stage's timeout (run.timeout), for messages. */
  timeout: string;
  concurrency: number;
}

export function resolveRunSettings(ctx: Pick<StageContext, 'config' | 'pipeline'>): RunSettings {
  const { config, pipeline } = ctx;
  const run = pipeline.config.run;
  const name = pipeline.config.name;
  if (!run) throw new NocturneError('CONFIG_INVALID', `pipeline "${name}" (${pipeline.file}) has no run stage`);
  const daemon = config.daemon.executor;
  const resolve = (p: string) => path.resolve(config.dir, p);
  const [code, ...args] = run.command;
  if (code === undefined || code === '') {
    throw new NocturneError('CONFIG_INVALID', `${pipeline.file}: run.command must start with the detection code's path`);
  }
  for (const glob of [run.outputs.csv, run.outputs.quicklooks, ...run.outputs.rowsRequired]) {
    try {
      toBashPattern(glob);
    } catch (err) {
      throw new NocturneError('CONFIG_INVALID', `${pipeline.file}: run.outputs: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    pipeline: name,
    file: pipeline.file,
    executor: run.executor ?? daemon.type,
    command: [resolve(code), ...args],
    inputGlob: resolve(run.inputs.glob),
    lookbackDays: run.inputs.lookbackDays,
    // The array's %N never lets more tasks run than the pipeline's cap.
    array: run.array && run.maxRunning !== undefined ? { throttle: Math.min(run.array.throttle, run.maxRunning) } : run.array,
    caps: { ledger: run.maxRunning ?? null, global: daemon.slurm.maxSubmitted ?? null },
    resources: {
      partition: run.slurm.partition ?? daemon.slurm.partition,
      account: run.slurm.account ?? daemon.slurm.account,
      time: run.slurm.time,
      mem: run.slurm.mem,
      cpus: run.slurm.cpus,
    },
    outbox: run.outputs.dir === undefined ? path.join(config.paths.outbox, name) : resolve(run.outputs.dir),
    workDir: path.join(config.paths.work, 'run', name),
    logDir: path.join(config.paths.logs, name),
    csvGlob: run.outputs.csv,
    quicklookGlob: run.outputs.quicklooks,
    rowsRequired: run.outputs.rowsRequired,
    retries: run.retries,
    retryTimeout: run.retryTimeout,
    pollIntervalMs: daemon.slurm.pollIntervalMs,
    lostAfterMs: daemon.slurm.lostAfterMs,
    waitWarningMs: run.waitWarningMs,
    timeout: formatDuration(run.timeoutMs),
    concurrency: daemon.local.concurrency,
  };
}

/** A missing or non-executable detection code is a configuration error, named as such. */
export async function checkCommand(settings: RunSettings): Promise<void> {
  const code = settings.command[0] ?? '';
  try {
    await access(code, constants.X_OK);
  } catch (err) {
    throw new NocturneError(
      'CONFIG_INVALID',
      `${settings.file}: run.command: ${code} is not an executable file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      { cause: err },
    );
  }
}
