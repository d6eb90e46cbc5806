import type { Logger } from '../log/logger.js';
import { LocalExecutor } from './local/local-executor.js';
import { procTable, spawnLauncher } from './local/processes.js';
import { createExecFileRunner, type ProcessRunner } from './process-runner.js';
import { SlurmExecutor, type SlurmCommands } from './slurm/slurm-executor.js';
import type { Executor, ExecutorKind } from './types.js';

export interface ExecutorOptions {
  kind: ExecutorKind;
  logger: Logger;
  /** SLURM: a task unknown to sacct and squeue this long is LOST. */
  lostAfterMs: number;
  /** Local: tasks at once. */
  concurrency: number;
  /** Environment of the SLURM commands and of local tasks (default: this process's). */
  env?: NodeJS.ProcessEnv;
  slurmCommands?: Partial<SlurmCommands>;
  runner?: ProcessRunner;
}

/** The real executors, on the real SLURM commands and processes. */
export function createExecutor(o: ExecutorOptions): Executor {
  if (o.kind === 'local') {
    return new LocalExecutor({
      concurrency: o.concurrency,
      launcher: spawnLauncher,
      processes: procTable,
      ...(o.env === undefined ? {} : { env: o.env }),
    });
  }
  return new SlurmExecutor({
    runner: o.runner ?? createExecFileRunner(o.env === undefined ? {} : { env: o.env }),
    logger: o.logger,
    lostAfterMs: o.lostAfterMs,
    ...(o.env === undefined ? {} : { env: o.env }),
    ...(o.slurmCommands === undefined ? {} : { commands: o.slurmCommands }),
  });
}
