import type { NocturneConfig } from '../src/config/types.js';
import { systemClock } from '../src/core/clock.js';
import type { Db } from '../src/db/database.js';
import { createLogger } from '../src/log/logger.js';
import type { StageContext } from '../src/stages/types.js';

/** Warnings and errors only, to nowhere. */
export const quietLogger = createLogger({ level: 'warn', destination: { write: () => undefined } });

export interface DirectRun {
  pipeline: string;
  db: Db;
  runId: number;
  /** The observing night, YYYY-MM-DD. */
  date: string;
  signal?: AbortSignal;
}

/** A stage context for calling a stage runner directly, outside executeStage (no run history, no terminal). */
export function directContext(config: NocturneConfig, run: DirectRun): StageContext {
  return {
    config,
    pipeline: config.pipelines.get(run.pipeline)!,
    db: run.db,
    logger: quietLogger,
    clock: systemClock,
    signal: run.signal ?? new AbortController().signal,
    runId: run.runId,
    slot: new Date(),
    date: run.date,
    dryRun: false,
    progress: { update: () => undefined, done: () => undefined },
    print: () => undefined,
  };
}
