import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import { coerceError, isAbortError, type NocturneError } from '../core/errors.js';
import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { Schedule } from '../scheduling/slots.js';
import { prune as realPrune, type PruneDeps, type PruneReport } from './prune.js';
import { reportFields } from './report.js';

export interface HousekeepingEvents {
  pruned: [{ slot: Date; report: PruneReport }];
  failed: [{ slot: Date; error: NocturneError }];
}

export interface HousekeepingDeps {
  db: Db;
  config: NocturneConfig;
  logger: Logger;
  clock: Clock;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  prune?: (deps: PruneDeps, options: { dryRun: boolean }) => Promise<PruneReport>;
}

/** Sleeps are cut into pieces of at most this: timers cannot wait a month, and the wall clock may be stepped. */
const MAX_SLEEP_MS = 3_600_000;

/**
 * The daemon's housekeeping slot: prunes at each slot of retention.schedule (default
 * daily, at midday, away from the nightly stages). Every daemon has one; the prune lock
 * lets one host at a time do the database's share, and each host sweeps its own
 * directories. A slot missed while the daemon was down is not caught up: the next one
 * removes the same things. A failed prune is logged and tried again at the next slot.
 */
export class Housekeeping {
  readonly events = new EventEmitter<HousekeepingEvents>();
  readonly #deps: HousekeepingDeps;
  #config: NocturneConfig;
  readonly #stop = new AbortController();
  /** Aborted by a reload: the loop looks at the (new) schedule again. */
  #wait = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(deps: HousekeepingDeps) {
    this.#deps = deps;
    this.#config = deps.config;
  }

  start(): void {
    this.#loop = this.#run();
  }

  reload(config: NocturneConfig): void {
    this.#config = config;
    this.#wait.abort('configuration reloaded');
  }

  /** Stops at the next batch of a prune under way, or at once while waiting for the slot. */
  async stop(): Promise<void> {
    this.#stop.abort('daemon stopping');
    await this.#loop;
  }

  async #run(): Promise<void> {
    const log = this.#deps.logger.child({ component: 'housekeeping' });
    while (!this.#stop.signal.aborted) {
      const { schedule, timezone } = this.#config.daemon.retention;
      const slot = new Schedule(schedule, timezone).next(this.#deps.clock.now());
      if (slot === null) return;
      this.#wait = new AbortController();
      if (!(await this.#sleepUntil(slot))) continue;
      try {
        const prune = this.#deps.prune ?? realPrune;
        const report = await prune(
          { db: this.#deps.db, config: this.#config, clock: this.#deps.clock, signal: this.#stop.signal },
          { dryRun: false },
        );
        log.info(
          { slot: slot.toISOString(), ...reportFields(report) },
          report.busy ? 'prune skipped: another process is pruning' : 'pruned',
        );
        this.events.emit('pruned', { slot, report });
      } catch (err) {
        const error = coerceError(err, 'PRUNE_FAILED', 'housekeeping');
        log.error({ err: error, slot: slot.toISOString() }, 'prune failed; the next slot tries again');
        this.events.emit('failed', { slot, error });
      }
    }
  }

  /** True at the slot; false when stopped or reloaded first. */
  async #sleepUntil(slot: Date): Promise<boolean> {
    const signal = AbortSignal.any([this.#stop.signal, this.#wait.signal]);
    for (;;) {
      const left = slot.getTime() - this.#deps.clock.now().getTime();
      if (left <= 0) return !signal.aborted;
      try {
        await this.#deps.sleep(Math.min(left, MAX_SLEEP_MS), signal);
      } catch (err) {
        if (isAbortError(err) || signal.aborted) return false;
        throw err;
      }
    }
  }
}
