import type { EventEmitter } from 'node:events';
import type { Db } from '../db/database.js';
import type { SchedulerEvents } from '../scheduling/events.js';
import type { RunEvent } from '../stages/types.js';

/**
 * What the monitor's event stream (/api/events) sends: the runs and stage events of
 * this daemon, what its scheduler decided, and `runs-changed` when the run history
 * changed in a way this process did not see (a manual run, another host).
 */
export type MonitorEvent =
  | RunEvent
  | { type: 'slot-skipped' | 'slot-errored'; pipeline: string; stage: string; slot: string; reason: string }
  | { type: 'runs-changed' };

type Listener = (event: MonitorEvent) => void;

/** Fans events out to the open event streams, and keeps the last progress of each live run. */
export class LiveFeed {
  readonly #listeners = new Set<Listener>();
  readonly #progress = new Map<number, Record<string, number | string>>();

  publish(event: MonitorEvent): void {
    if (event.type === 'progress') this.#progress.set(event.runId, event.counters);
    if (event.type === 'run-finished') this.#progress.delete(event.runId);
    for (const listener of this.#listeners) listener(event);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Open event streams: the run-history watch runs only while there is one. */
  get watchers(): number {
    return this.#listeners.size;
  }

  progressOf(runId: number): Record<string, number | string> | undefined {
    return this.#progress.get(runId);
  }
}

/** The scheduler's decisions that leave a trace in the run history without a run of ours starting. */
export function feedFromScheduler(feed: LiveFeed, events: EventEmitter<SchedulerEvents>): void {
  events.on('skipped', (e) =>
    feed.publish({ type: 'slot-skipped', pipeline: e.pipeline, stage: e.stage, slot: e.slot.toISOString(), reason: e.reason }),
  );
  events.on('errored', (e) =>
    feed.publish({ type: 'slot-errored', pipeline: e.pipeline, stage: e.stage, slot: e.slot.toISOString(), reason: e.error.message }),
  );
}

/**
 * Polls the run history while someone watches, and publishes `runs-changed` when a run
 * began or ended that this process did not announce. Two index lookups a poll: the
 * newest id (primary key) and the live runs (runs_one_running).
 */
export function watchRuns(feed: LiveFeed, db: () => Db, intervalMs: number, onError: (err: unknown) => void): () => void {
  let last: string | null = null;
  let busy = false;
  const timer = setInterval(() => {
    if (feed.watchers === 0 || busy) return;
    busy = true;
    db()
      .one<{ signature: string }>(
        `SELECT concat((SELECT max(id) FROM runs), '/', (SELECT string_agg(id::text, ',' ORDER BY id) FROM runs WHERE state = 'running')) AS signature`,
      )
      .then(({ signature }) => {
        if (last !== null && signature !== last) feed.publish({ type: 'runs-changed' });
        last = signature;
      }, onError)
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
