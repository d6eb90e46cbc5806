import type { Clock } from '../core/clock.js';
import type { NocturneError } from '../core/errors.js';
import type { LoadedPipeline, NocturneConfig } from '../config/types.js';
import type { StageName } from '../config/schema.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';

/** Reports progress to a person; a no-op when nobody watches (daemon, pipes). */
export interface Progress {
  /** Replaces the current counters, e.g. {pending: 3, running: 2, done: 10} or {files: '3/10', bytes: ...}. */
  update(counters: Record<string, number | string>): void;
  done(): void;
}

/**
 * What a stage tells whoever watches it live (the web monitor's event stream), beside
 * its progress counters, which reach watchers as `progress` events on their own.
 */
export type StageEvent =
  | { type: 'progress'; counters: Record<string, number | string> }
  /** An upload finished a file: its remote copy is verified (state deleted or kept). */
  | { type: 'file'; path: string; state: string }
  /**
   * A file set or track file was processed: loaded, skipped or rejected (the ledger says
   * which); `error` when it could not be read or loaded this time and stays pending.
   */
  | { type: 'set'; key: string; error?: string };

/** Where a stage's events go; the same for every stage of a run. */
export interface StageEventSink {
  emit(event: StageEvent): void;
}

/** A stage event, or the start and end of its run, with the run it belongs to. */
export type RunEvent = { runId: number; pipeline: string; stage: StageName } & (
  StageEvent | { type: 'run-started'; slot: string; trigger: string } | { type: 'run-finished'; state: string; summary: string }
);

export interface StageContext {
  readonly config: NocturneConfig;
  readonly pipeline: LoadedPipeline;
  readonly db: Db;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Fires on shutdown: stop at the next safe point. */
  readonly signal: AbortSignal;
  /** The row in `runs` this execution records into. */
  readonly runId: number;
  /** The scheduled instant this run stands for. */
  readonly slot: Date;
  /** The observing night to process (YYYY-MM-DD), from --date or derived from the slot. */
  readonly date: string;
  /** Print what would be done, change nothing. */
  readonly dryRun: boolean;
  readonly progress: Progress;
  /** Lines for the person at the terminal (dry-run listings, summaries). */
  readonly print: (line: string) => void;
  /** Live events for watchers; absent when nobody watches (tests, dry runs). */
  readonly events?: StageEventSink;
}

export interface StageOutcome {
  /** False when something failed; what succeeded is kept either way. */
  ok: boolean;
  /** Counters recorded in runs.stats and exported as metrics (jobs, files, bytes, rows, quarantined...). */
  stats: Record<string, number>;
  /** One line for history and status. */
  summary: string;
  error?: NocturneError;
  /** The stage chose not to start (the run stage's disk guard): recorded as skipped, with `error` saying why, not as failed. */
  skipped?: boolean;
}

export type StageRunner = (ctx: StageContext) => Promise<StageOutcome>;

export type { StageName };
