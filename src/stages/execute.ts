import { systemClock, type Clock } from '../core/clock.js';
import { coerceError, NocturneError } from '../core/errors.js';
import { formatDuration } from '../config/durations.js';
import type { StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { beginRun, finishRun, renewLease, type RunTrigger } from '../runs/runs.js';
import { findPause, pauseText, type Pause } from '../operations/pauses.js';
import { localDate } from './nights.js';
import { stageRunner } from './registry.js';
import type { Progress, RunEvent, StageEvent, StageOutcome } from './types.js';

export interface ExecuteRequest {
  pipeline: string;
  stage: StageName;
  slot: Date;
  trigger: RunTrigger;
  /** YYYY-MM-DD; default: the slot's date in the stage's time zone. */
  date?: string;
  dryRun?: boolean;
  /** Run even though the stage is paused (`nocturne run --force`). */
  force?: boolean;
}

export interface ExecuteDeps {
  config: NocturneConfig;
  db: Db;
  logger: Logger;
  clock?: Clock;
  signal?: AbortSignal;
  progress?: Progress;
  print?: (line: string) => void;
  /** Receives the run's start, its stage's events and progress, and its end (the web monitor). */
  events?: (event: RunEvent) => void;
}

export type ExecuteResult =
  | { kind: 'done'; runId: number; outcome: StageOutcome }
  /** `paused`: the stage is paused (nocturne pause); the slot is left to the catch-up on resume. */
  | { kind: 'not-run'; reason: string; paused?: Pause };

/** How a run's end is told: a run the stage chose not to start (the disk guard) is skipped, not failed. */
export function outcomeWord(outcome: StageOutcome): 'ok' | 'skipped' | 'FAILED' {
  return outcome.ok ? 'ok' : outcome.skipped ? 'skipped' : 'FAILED';
}

const LEASE_MS = 60_000;

/**
 * Runs one stage of one pipeline as a recorded run: the same path for the scheduler,
 * catch-up and `nocturne run`, so all take the same locks and appear in the same history.
 */
export async function executeStage(deps: ExecuteDeps, req: ExecuteRequest): Promise<ExecuteResult> {
  const pipeline = deps.config.pipelines.get(req.pipeline);
  if (!pipeline) throw new NocturneError('CONFIG_INVALID', `no pipeline named "${req.pipeline}"`);
  const stageConfig = pipeline.config[req.stage];
  if (!stageConfig) {
    throw new NocturneError('CONFIG_INVALID', `pipeline "${req.pipeline}" (${pipeline.file}) has no ${req.stage} stage`);
  }
  const logger = deps.logger.child({ pipeline: req.pipeline, stage: req.stage });
  const date = req.date ?? localDate(req.slot, stageConfig.timezone);
  let runId = 0;
  const emit = deps.events ?? (() => undefined);
  const events = { emit: (event: StageEvent) => emit({ ...event, runId, pipeline: req.pipeline, stage: req.stage }) };
  // The counters a person sees on the terminal are the ones watchers see live.
  const progress = deps.progress ?? { update() {}, done() {} };
  const context = {
    config: deps.config,
    pipeline,
    db: deps.db,
    clock: deps.clock ?? systemClock,
    signal: deps.signal ?? new AbortController().signal,
    slot: req.slot,
    date,
    dryRun: req.dryRun ?? false,
    progress: {
      update: (counters: Record<string, number | string>) => {
        progress.update(counters);
        events.emit({ type: 'progress', counters });
      },
      done: () => progress.done(),
    },
    print: deps.print ?? (() => {}),
    events,
  };
  if (context.dryRun) {
    const outcome = await (await stageRunner(req.stage))({ ...context, logger, runId: 0 });
    return { kind: 'done', runId: 0, outcome };
  }

  // Checked before every run, on every host: a pause is a row of the state database.
  const pause = req.force ? null : await findPause(deps.db, req.pipeline, req.stage);
  if (pause) {
    const reason = `${req.pipeline}/${req.stage} is ${pauseText(pause)} (nocturne resume ${req.pipeline} --stage ${req.stage})`;
    logger.info({ slot: req.slot.toISOString() }, reason);
    return { kind: 'not-run', reason, paused: pause };
  }
  const begun = await beginRun(deps.db, { ...req, leaseMs: LEASE_MS, ...hostOf(deps.config) });
  if (begun.kind !== 'started') {
    const reason =
      begun.kind === 'busy'
        ? `run ${begun.run.id} of ${req.pipeline}/${req.stage} is still in progress on ${begun.run.host} (pid ${begun.run.pid})`
        : `slot ${req.slot.toISOString()} already has run ${begun.run.id} (${begun.run.state})`;
    logger.info({ runId: begun.run.id }, reason);
    return { kind: 'not-run', reason };
  }
  runId = begun.run.id;
  emit({ type: 'run-started', runId, pipeline: req.pipeline, stage: req.stage, slot: req.slot.toISOString(), trigger: req.trigger });
  const runLogger = logger.child({ runId, slot: req.slot.toISOString() });
  const timer = setInterval(() => {
    renewLease(deps.db, runId, LEASE_MS).catch((err: unknown) => runLogger.warn({ err }, 'lease renewal failed'));
  }, LEASE_MS / 3);
  timer.unref();
  runLogger.info({ trigger: req.trigger, date }, 'stage started');
  const timeout = AbortSignal.timeout(stageConfig.timeoutMs);
  const signal = AbortSignal.any([context.signal, timeout]);
  let outcome: StageOutcome;
  try {
    // A stage whose module cannot load (a broken native library) is a failed run, recorded as such.
    outcome = await (await stageRunner(req.stage))({ ...context, signal, logger: runLogger, runId });
  } catch (err) {
    const error = timeout.aborted
      ? new NocturneError('TIMEOUT', `${req.pipeline}/${req.stage} exceeded its timeout of ${formatDuration(stageConfig.timeoutMs)}`)
      : coerceError(err);
    outcome = { ok: false, stats: {}, summary: error.message, error };
  } finally {
    clearInterval(timer);
    context.progress.done();
  }
  const interrupted = !outcome.ok && context.signal.aborted;
  const state = outcome.skipped ? 'skipped' : outcome.ok ? 'succeeded' : interrupted ? 'interrupted' : 'failed';
  await finishRun(deps.db, runId, {
    state,
    stats: outcome.stats,
    ...(outcome.error ? { errorCode: outcome.error.code, error: outcome.error.message } : {}),
  });
  emit({ type: 'run-finished', runId, pipeline: req.pipeline, stage: req.stage, state, summary: outcome.summary });
  const level = outcome.ok ? 'info' : outcome.skipped ? 'warn' : 'error';
  runLogger[level](
    { stats: outcome.stats, err: outcome.error },
    `stage ${outcome.ok ? 'succeeded' : outcome.skipped ? 'skipped' : 'failed'}: ${outcome.summary}`,
  );
  return { kind: 'done', runId, outcome };
}

function hostOf(config: NocturneConfig): { host?: string } {
  const name = config.daemon.host.name;
  return name === undefined ? {} : { host: name };
}
