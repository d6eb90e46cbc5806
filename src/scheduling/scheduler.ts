import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import { backoffMs } from '../core/abort.js';
import { coerceError, isAbortError, NocturneError } from '../core/errors.js';
import type { NocturneConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ExecuteRequest, ExecuteResult } from '../stages/execute.js';
import type { SchedulerEvents, SlotRef } from './events.js';
import { slotKey, type SlotLedger } from './slot-ledger.js';
import {
  catchUpSlots,
  createTrack,
  desiredStages,
  msUntilAttention,
  settlesWithin,
  snapshotOf,
  takeDueSlots,
  takeStartable,
  updateTrack,
  type QueuedSlot,
  type StageTrack,
  type TrackSnapshot,
} from './stage-track.js';

/** Runs one stage as a recorded run: executeStage in the daemon, a fake in unit tests. */
export type ExecuteFn = (config: NocturneConfig, req: ExecuteRequest, signal: AbortSignal) => Promise<ExecuteResult>;

export interface SchedulerDeps {
  clock: Clock;
  /** Resolves after ms, rejects when the signal fires (core/abort's sleep). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  ledger: SlotLedger;
  execute: ExecuteFn;
  logger: Logger;
  /** Longest single sleep, so that a clock jump is noticed. @default 30_000 */
  maxSleepMs?: number;
  /** Backoff before retrying a retryable failure: first delay and cap. @default 30_000, 600_000 */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often a slot waiting for a stage that is busy elsewhere looks again. @default 30_000 */
  busyPollMs?: number;
  /**
   * The `pipeline/stage` keys paused in the state database (nocturne pause), read every
   * `pausePollMs`; none when omitted. A run also checks its own pause before it begins.
   */
  pausedStages?: () => Promise<ReadonlySet<string>>;
  /** @default 30_000 */
  pausePollMs?: number;
  random?: () => number;
}

/**
 * Fires each stage of each pipeline at its slots, on this host. PostgreSQL (beginRun)
 * decides whether a slot runs; this class decides when to ask: at the slot, after an
 * overrun, after a backoff, or at start for the slots missed while the daemon was down.
 */
export class Scheduler {
  readonly events = new EventEmitter<SchedulerEvents>();
  readonly #deps: Required<SchedulerDeps>;
  readonly #tracks = new Map<string, StageTrack>();
  /** Reaches running stages only once the shutdown grace period is over. */
  readonly #abortStages = new AbortController();
  /** Fires as soon as a stop is asked for: ends the scheduler's own waits (not the stages'). */
  readonly #halt = new AbortController();
  readonly #background = new Set<Promise<void>>();
  #config: NocturneConfig | null = null;
  #nap: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #stopping: Promise<number> | null = null;
  #pausesCheckedAt = -Infinity;
  #pausesUnread = false;

  constructor(deps: SchedulerDeps) {
    this.#deps = {
      maxSleepMs: 30_000,
      retryBaseMs: 30_000,
      retryMaxMs: 600_000,
      busyPollMs: 30_000,
      pausedStages: async () => new Set(),
      pausePollMs: 30_000,
      random: Math.random,
      ...deps,
    };
  }

  /** Queues the catch-up slots of every stage, then starts the loop. */
  async start(config: NocturneConfig): Promise<void> {
    if (this.#loop || this.#stopping) throw new NocturneError('INTERNAL', 'scheduler already started');
    this.#config = config;
    const now = this.#deps.clock.now();
    for (const [key, want] of desiredStages(config)) this.#tracks.set(key, createTrack(want.pipeline, want.stage, want.policy, now));
    const last = await this.#deps.ledger.lastSlots();
    for (const [key, track] of this.#tracks) {
      const slots = catchUpSlots(track, last.get(key), now);
      if (slots.length === 0) continue;
      this.#log(track).info({ slots: slots.map((s) => s.slot.toISOString()), policy: track.policy.catchUp }, 'catching up');
      for (const slot of slots) this.#enqueue(track, slot);
    }
    this.#loop = this.#run();
  }

  /** Swaps in a reloaded configuration: running stages finish with the one they started with. */
  reload(config: NocturneConfig): { added: string[]; removed: string[]; changed: string[] } {
    this.#config = config;
    const now = this.#deps.clock.now();
    const wanted = desiredStages(config);
    const summary = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
    for (const [key, track] of this.#tracks) {
      if (wanted.has(key)) continue;
      summary.removed.push(key);
      track.removed = true;
      track.queue = [];
      if (!track.running) this.#tracks.delete(key);
    }
    for (const [key, want] of wanted) {
      const track = this.#tracks.get(key);
      if (!track) {
        this.#tracks.set(key, createTrack(want.pipeline, want.stage, want.policy, now));
        summary.added.push(key);
      } else if (track.removed || JSON.stringify(track.policy) !== JSON.stringify(want.policy)) {
        track.removed = false;
        updateTrack(track, want.policy, now);
        summary.changed.push(key);
      }
    }
    this.#wake();
    return summary;
  }

  /** Each stage this host schedules: next slot, what runs, how many slots wait. */
  snapshot(): TrackSnapshot[] {
    return [...this.#tracks.values()].map(snapshotOf);
  }

  /**
   * Stops firing slots, waits up to `graceMs` for running stages, then aborts their
   * signal and waits up to `forceMs` more. Resolves to the number of stages still
   * running after that. Idempotent.
   */
  stop(graceMs: number, forceMs: number): Promise<number> {
    this.#stopping ??= this.#shutdown(graceMs, forceMs);
    return this.#stopping;
  }

  async #shutdown(graceMs: number, forceMs: number): Promise<number> {
    this.#halt.abort();
    this.#wake();
    await this.#loop;
    const inFlight = () => [...[...this.#tracks.values()].flatMap((t) => (t.running ? [t.running.done] : [])), ...this.#background];
    const running = inFlight().length;
    if (running === 0) return 0;
    this.#deps.logger.info({ running, graceMs }, 'waiting for running stages');
    if (await settlesWithin(inFlight(), graceMs, this.#deps.sleep)) return 0;
    this.#deps.logger.warn({ running: inFlight().length }, 'grace period over: aborting running stages');
    this.#abortStages.abort(new NocturneError('ABORTED', 'the daemon is stopping'));
    if (await settlesWithin(inFlight(), forceMs, this.#deps.sleep)) return 0;
    const left = inFlight().length;
    this.#deps.logger.error({ running: left }, 'stages did not stop in time');
    return left;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      await this.#checkPauses();
      // A stop asked while the pauses were read found no nap to wake.
      if (this.#halt.signal.aborted) break;
      const now = this.#deps.clock.now();
      for (const track of this.#tracks.values()) {
        this.#fireDue(track, now);
        this.#pump(track);
      }
      const untilPauseCheck = this.#pausesCheckedAt + this.#deps.pausePollMs - now.getTime();
      const wait = Math.min(this.#deps.maxSleepMs, untilPauseCheck, ...[...this.#tracks.values()].map((t) => msUntilAttention(t, now)));
      this.#nap = new AbortController();
      try {
        await this.#deps.sleep(Math.max(1, wait), this.#nap.signal);
      } catch (err) {
        if (!isAbortError(err)) throw err;
      }
    }
  }

  /**
   * Reads which stages are paused. A paused stage drops the slots that come due; once it
   * is resumed, the slots that passed meanwhile are caught up by the stage's catch-up
   * policy from its last recorded slot, exactly as after a daemon that was down.
   */
  async #checkPauses(): Promise<void> {
    const now = this.#deps.clock.now().getTime();
    if (now - this.#pausesCheckedAt < this.#deps.pausePollMs) return;
    this.#pausesCheckedAt = now;
    let paused: ReadonlySet<string>;
    try {
      paused = await this.#deps.pausedStages();
    } catch (err) {
      // Said once per outage; meanwhile each run still checks its own pause as it begins.
      if (!this.#pausesUnread) this.#deps.logger.warn({ err: coerceError(err) }, 'could not read the paused stages: trying again later');
      this.#pausesUnread = true;
      return;
    }
    this.#pausesUnread = false;
    const resumed: StageTrack[] = [];
    for (const [key, track] of this.#tracks) {
      if (paused.has(key) && !track.paused) this.#hold(track);
      else if (!paused.has(key) && track.paused) resumed.push(track);
    }
    if (resumed.length > 0) await this.#resume(resumed);
  }

  #hold(track: StageTrack): void {
    track.paused = true;
    track.queue = [];
    this.#log(track).info('stage paused: its slots wait for the resume');
  }

  async #resume(tracks: StageTrack[]): Promise<void> {
    let last;
    try {
      last = await this.#deps.ledger.lastSlots();
    } catch (err) {
      // Still paused here: the next check tries the resume again.
      this.#deps.logger.warn({ err: coerceError(err) }, 'could not read the last slots to resume paused stages');
      this.#pausesCheckedAt = -Infinity;
      return;
    }
    const now = this.#deps.clock.now();
    for (const track of tracks) {
      track.paused = false;
      const slots = catchUpSlots(track, last.get(slotKey(track.pipeline, track.stage)), now);
      this.#log(track).info({ slots: slots.map((s) => s.slot.toISOString()), policy: track.policy.catchUp }, 'stage resumed');
      for (const slot of slots) this.#enqueue(track, slot);
    }
  }

  #wake(): void {
    this.#nap?.abort();
  }

  /** Queues the slots that came due; several at once means the clock jumped or the host slept. */
  #fireDue(track: StageTrack, now: Date): void {
    const due = takeDueSlots(track, now);
    // Left to the catch-up on resume.
    if (track.paused) return;
    const newest = due.pop();
    if (!newest) return;
    const { catchUp, maxCatchUp, overrun } = track.policy;
    const kept = catchUp === 'all' ? due.slice(-maxCatchUp) : [];
    const dropped = due.slice(0, due.length - kept.length);
    if (dropped.length > 0) {
      this.events.emit('missed', { pipeline: track.pipeline, stage: track.stage, slots: dropped });
      this.#log(track).warn({ slots: dropped.map((s) => s.toISOString()), policy: catchUp }, 'slots missed');
    }
    const base = { pipeline: track.pipeline, stage: track.stage, attempt: 1, notBefore: now };
    for (const slot of kept) this.#enqueue(track, { ...base, slot, trigger: 'catchup' });
    if (track.running && overrun === 'skip') {
      const reason = `overrun: the run of slot ${track.running.ref.slot.toISOString()} is still in progress`;
      this.#inBackground(this.#skip(track, { slot: newest, trigger: 'schedule' }, reason));
      return;
    }
    if (track.running) this.#log(track).info({ slot: newest.toISOString() }, 'slot waits for the overrunning run');
    this.#enqueue(track, { ...base, slot: newest, trigger: 'schedule' });
  }

  /** Appends a slot; beyond maxCatchUp missed slots and the current one, the oldest is recorded as skipped. */
  #enqueue(track: StageTrack, item: QueuedSlot): void {
    track.queue.push(item);
    while (track.queue.length > track.policy.maxCatchUp + 1) {
      const oldest = track.queue.shift()!;
      this.#inBackground(this.#skip(track, oldest, `more than ${track.policy.maxCatchUp} slots waiting (maxCatchUp)`));
    }
  }

  #pump(track: StageTrack): void {
    if (this.#stopping || track.running || track.paused) return;
    const now = this.#deps.clock.now();
    const head = takeStartable(track, now);
    if (!head) return;
    const running = { ref: head, since: now, done: Promise.resolve() };
    track.running = running;
    running.done = this.#launch(track, head);
  }

  async #launch(track: StageTrack, ref: QueuedSlot): Promise<void> {
    const log = this.#log(track).child({ slot: ref.slot.toISOString(), trigger: ref.trigger, attempt: ref.attempt });
    this.events.emit('started', ref);
    try {
      const { pipeline, stage, slot, trigger } = ref;
      let result: ExecuteResult;
      try {
        result = await this.#deps.execute(this.#config!, { pipeline, stage, slot, trigger }, this.#abortStages.signal);
      } catch (err) {
        // The run could not be recorded (e.g. the database is down): retry the slot if that may help.
        const error = coerceError(err, 'INTERNAL', `${pipeline}/${stage} slot ${slot.toISOString()}`);
        this.events.emit('errored', { ...ref, error });
        log.error({ err: error }, 'stage execution failed');
        if (error.retryable || !(err instanceof NocturneError)) this.#retry(track, ref);
        return;
      }
      this.events.emit('finished', { ...ref, result });
      await this.#actOn(track, ref, result, log);
    } finally {
      track.running = null;
      if (track.removed) this.#tracks.delete(slotKey(track.pipeline, track.stage));
      else this.#pump(track);
      // A retry or a busy slot may now wait on its own time rather than on the run.
      this.#wake();
    }
  }

  /**
   * Acts on the result of a run (a retry to reopen, a slot to skip or to look at again).
   * Those steps write the run history: when the database is out of reach they are tried
   * again after a backoff, as a stage's run is, rather than forgotten until the next slot.
   */
  async #actOn(track: StageTrack, ref: QueuedSlot, result: ExecuteResult, log: Logger): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#afterResult(track, ref, result);
        return;
      } catch (err) {
        const error = coerceError(err);
        if (!error.retryable || this.#halt.signal.aborted) {
          log.error({ err: error }, 'could not act on the result of the run');
          return;
        }
        const delayMs = backoffMs(attempt, this.#deps.retryBaseMs, this.#deps.retryMaxMs, this.#deps.random);
        log.warn({ err: error, delayMs }, 'could not act on the result of the run: trying again');
        const slept = await this.#deps.sleep(delayMs, this.#halt.signal).then(
          () => true,
          () => false,
        );
        if (!slept) {
          log.error({ err: error }, 'could not act on the result of the run before the stop');
          return;
        }
      }
    }
  }

  async #afterResult(track: StageTrack, ref: QueuedSlot, result: ExecuteResult): Promise<void> {
    const log = this.#log(track).child({ slot: ref.slot.toISOString() });
    if (result.kind === 'not-run' && result.paused) {
      // Paused elsewhere since our last look: hold now rather than at the next check.
      if (!track.paused) this.#hold(track);
      return;
    }
    if (result.kind === 'done') {
      const { error } = result.outcome;
      if (result.outcome.ok || !error?.retryable || this.#stopping || ref.attempt > track.policy.retries) return;
      const note = `attempt ${ref.attempt} failed: ${error.message}; retrying`;
      if (await this.#deps.ledger.reopenForRetry(result.runId, note)) this.#retry(track, ref);
      return;
    }
    const state = await this.#deps.ledger.slotState(ref.pipeline, ref.stage, ref.slot);
    if (state === null && ref.trigger === 'schedule' && track.policy.overrun === 'skip') {
      await this.#skip(track, ref, `overrun: ${result.reason}`);
    } else if (state === null || (state === 'running' && ref.trigger === 'catchup')) {
      // Busy elsewhere, or a crashed holder's lease not yet expired: look again later.
      // Said once per slot: a long run elsewhere would otherwise repeat it every poll.
      log[ref.busySince ? 'debug' : 'info']({ reason: result.reason }, 'stage busy: slot waits');
      const busySince = ref.busySince ?? this.#deps.clock.now();
      this.#requeue(track, { ...ref, busySince, notBefore: this.#after(this.#deps.busyPollMs) });
    } else {
      log.debug({ state, reason: result.reason }, 'slot already taken');
    }
  }

  #retry(track: StageTrack, ref: SlotRef): void {
    if (this.#stopping || ref.attempt > track.policy.retries) return;
    const delayMs = backoffMs(ref.attempt, this.#deps.retryBaseMs, this.#deps.retryMaxMs, this.#deps.random);
    this.events.emit('retry', { ...ref, delayMs });
    this.#log(track).warn({ slot: ref.slot.toISOString(), attempt: ref.attempt + 1, delayMs }, 'retrying slot');
    this.#requeue(track, { ...ref, attempt: ref.attempt + 1, notBefore: this.#after(delayMs) });
  }

  /** Puts a slot back at the head of its queue: it keeps its turn before later slots. */
  #requeue(track: StageTrack, item: QueuedSlot): void {
    if (track.removed) return;
    track.queue.unshift(item);
    this.#wake();
  }

  async #skip(track: StageTrack, ref: Pick<SlotRef, 'slot' | 'trigger'>, reason: string): Promise<void> {
    const log = this.#log(track).child({ slot: ref.slot.toISOString() });
    try {
      const host = this.#config?.daemon.host.name;
      const skip = { pipeline: track.pipeline, stage: track.stage, slot: ref.slot, trigger: ref.trigger, reason };
      if (await this.#deps.ledger.recordSkipped(host === undefined ? skip : { ...skip, host })) {
        this.events.emit('skipped', { pipeline: track.pipeline, stage: track.stage, slot: ref.slot, trigger: ref.trigger, reason });
        log.warn({ reason }, 'slot skipped');
      } else {
        log.info({ reason }, 'slot already recorded: not skipped');
      }
    } catch (err) {
      log.error({ err: coerceError(err), reason }, 'could not record the skipped slot');
    }
  }

  #inBackground(work: Promise<void>): void {
    this.#background.add(work);
    void work.finally(() => this.#background.delete(work));
  }

  #after(ms: number): Date {
    return new Date(this.#deps.clock.now().getTime() + ms);
  }

  #log(track: StageTrack): Logger {
    return this.#deps.logger.child({ pipeline: track.pipeline, stage: track.stage });
  }
}
