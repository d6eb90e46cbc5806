import type { StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';
import type { SlotRef } from './events.js';
import type { LastSlot } from './slot-ledger.js';
import { missedSlots, Schedule, type CatchUpPolicy } from './slots.js';

/** How one stage copes with misses, overruns and failures: its slice of the pipeline YAML. */
export interface StagePolicy {
  schedule: string;
  timezone: string;
  catchUp: CatchUpPolicy;
  maxCatchUp: number;
  overrun: 'wait' | 'skip';
  retries: number;
}

/** A slot waiting its turn: caught up, waiting behind an overrun, or a retry in backoff. */
export interface QueuedSlot extends SlotRef {
  /** Not to be started before this instant (retry backoff, polling a busy stage). */
  notBefore: Date;
  /** Since when the slot has been waiting for a stage busy elsewhere. */
  busySince?: Date;
}

/**
 * The scheduler's state for one (pipeline, stage) on this host. `cursor` is the newest
 * slot already considered: slots only come due after it, so a clock that goes back
 * cannot make one fire twice (and PostgreSQL refuses a second run of a slot anyway).
 */
export interface StageTrack {
  readonly pipeline: string;
  readonly stage: StageName;
  policy: StagePolicy;
  schedule: Schedule;
  cursor: Date;
  /** schedule.next(cursor), cached: the next slot to come due, null if none ever will. */
  next: Date | null;
  queue: QueuedSlot[];
  /** The slot being executed, if any, and the promise of its execution. */
  running: { ref: SlotRef; since: Date; done: Promise<void> } | null;
  /** Removed from the configuration by a reload: dropped once its running slot ends. */
  removed: boolean;
  /** Paused in the state database (nocturne pause): slots wait for the resume's catch-up. */
  paused: boolean;
}

export interface TrackSnapshot {
  pipeline: string;
  stage: StageName;
  next: Date | null;
  running: (SlotRef & { since: Date }) | null;
  queued: number;
  paused: boolean;
}

export function snapshotOf(t: StageTrack): TrackSnapshot {
  const running = t.running && { ...t.running.ref, since: t.running.since };
  return { pipeline: t.pipeline, stage: t.stage, next: t.next, running, queued: t.queue.length, paused: t.paused };
}

/** The stages this host runs, with their policies, keyed `pipeline/stage`. */
export function desiredStages(config: NocturneConfig): Map<string, { pipeline: string; stage: StageName; policy: StagePolicy }> {
  const wanted = new Map<string, { pipeline: string; stage: StageName; policy: StagePolicy }>();
  for (const [pipeline, { config: p }] of config.pipelines) {
    for (const stage of config.daemon.host.stages) {
      const s = p[stage];
      if (!s) continue;
      const policy: StagePolicy = {
        schedule: s.schedule,
        timezone: s.timezone,
        catchUp: s.catchUp,
        maxCatchUp: s.maxCatchUp,
        overrun: s.overrun,
        retries: s.retries,
      };
      wanted.set(`${pipeline}/${stage}`, { pipeline, stage, policy });
    }
  }
  return wanted;
}

export function createTrack(pipeline: string, stage: StageName, policy: StagePolicy, now: Date): StageTrack {
  const schedule = new Schedule(policy.schedule, policy.timezone);
  return {
    pipeline,
    stage,
    policy,
    schedule,
    cursor: now,
    next: schedule.next(now),
    queue: [],
    running: null,
    removed: false,
    paused: false,
  };
}

/** Applies a reloaded policy; a changed schedule starts afresh from now (past slots are not replayed). */
export function updateTrack(track: StageTrack, policy: StagePolicy, now: Date): void {
  const rescheduled = policy.schedule !== track.policy.schedule || policy.timezone !== track.policy.timezone;
  track.policy = policy;
  if (!rescheduled) return;
  track.schedule = new Schedule(policy.schedule, policy.timezone);
  track.cursor = now;
  track.next = track.schedule.next(now);
}

/** Every slot in (cursor, now], oldest first, and the cursor moved past them. */
export function takeDueSlots(track: StageTrack, now: Date): Date[] {
  const due: Date[] = [];
  while (track.next && track.next.getTime() <= now.getTime()) {
    due.push(track.next);
    track.cursor = track.next;
    track.next = track.schedule.next(track.cursor);
  }
  return due;
}

/**
 * The queued slots that may be next to start, in order: the first, and past it those after
 * a caught-up slot that waits on a run of that very slot elsewhere (another host running
 * it, or a crashed holder's lease). That run is not ours to wait for: the database keeps
 * two runs of a stage from overlapping, and holding the later slots back behind the poll
 * (busyPollMs) would make this host miss them.
 */
function candidates(track: StageTrack, now: Date): QueuedSlot[] {
  const end = track.queue.findIndex((item) => !(item.trigger === 'catchup' && item.busySince && item.notBefore > now));
  return track.queue.slice(0, end < 0 ? track.queue.length : end + 1);
}

/** The queued slot to start now, taken off the queue; undefined when none may start yet. */
export function takeStartable(track: StageTrack, now: Date): QueuedSlot | undefined {
  const item = candidates(track, now).find((c) => c.notBefore.getTime() <= now.getTime());
  if (item) track.queue.splice(track.queue.indexOf(item), 1);
  return item;
}

/** When this track next needs the loop's attention, in ms from now (Infinity: never by itself). */
export function msUntilAttention(track: StageTrack, now: Date): number {
  const times: number[] = [];
  if (track.next) times.push(track.next.getTime());
  if (!track.running) times.push(...candidates(track, now).map((c) => c.notBefore.getTime()));
  return Math.max(0, Math.min(Infinity, ...times) - now.getTime());
}

/** The slots to run at start for those missed since `last`, per the stage's catch-up policy. */
export function catchUpSlots(track: StageTrack, last: LastSlot | undefined, now: Date): QueuedSlot[] {
  // A crash leaves its slot running (lease) or interrupted: that slot is resumed first.
  const unfinished = last?.state === 'running' || last?.state === 'interrupted';
  const { catchUp, maxCatchUp } = track.policy;
  return missedSlots(track.schedule, last?.slot ?? null, now, catchUp, maxCatchUp, unfinished).map((slot) => ({
    pipeline: track.pipeline,
    stage: track.stage,
    slot,
    trigger: 'catchup',
    attempt: 1,
    notBefore: now,
  }));
}

/** Whether all of `work` settles within `ms` (on the scheduler's sleep, so fake time drives it). */
export async function settlesWithin(
  work: Promise<unknown>[],
  ms: number,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
): Promise<boolean> {
  const timer = new AbortController();
  const all = Promise.all(work).then(() => true);
  const late = sleep(ms, timer.signal).then(
    () => false,
    () => false,
  );
  const done = await Promise.race([all, late]);
  timer.abort();
  return done;
}
