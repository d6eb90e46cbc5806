import type { Cron } from 'croner';
import { compileCron } from '../config/cron-pattern.js';

export type CatchUpPolicy = 'none' | 'latest' | 'all';

/**
 * A stage's schedule as a pure function of time. croner only computes instants here
 * (paused, never fires): firing is the scheduler's job, so that a fake clock can drive
 * it and a restart or a clock jump cannot make it fire twice. Daylight saving time
 * follows Vixie cron (see config/cron-pattern.ts). Throws CronSyntaxError for a pattern
 * that config/schedule-check.ts refuses.
 */
export class Schedule {
  readonly #cron: Cron;

  constructor(
    readonly pattern: string,
    readonly timezone: string,
  ) {
    this.#cron = compileCron(pattern, timezone).cron;
  }

  /** The first slot strictly after `after`, or null if the pattern never fires again. */
  next(after: Date): Date | null {
    return this.#cron.nextRun(after) ?? null;
  }

  /** Slots in (from, to], oldest first, at most `limit` (the newest ones are kept). */
  between(from: Date, to: Date, limit: number): Date[] {
    const slots: Date[] = [];
    let cursor: Date | null = from;
    while ((cursor = this.next(cursor)) && cursor.getTime() <= to.getTime()) {
      slots.push(cursor);
      if (slots.length > limit) slots.shift();
    }
    return slots;
  }
}

/**
 * Which missed slots to run when the daemon comes back: those in (lastSlot, now],
 * reduced by the stage's policy. Without a previous run nothing is "missed": a new
 * pipeline starts at its next slot rather than replaying history. `resumeLast` puts
 * lastSlot itself first in line, for a run that a crash left unfinished.
 */
export function missedSlots(
  schedule: Schedule,
  lastSlot: Date | null,
  now: Date,
  policy: CatchUpPolicy,
  max: number,
  resumeLast = false,
): Date[] {
  if (policy === 'none' || lastSlot === null) return [];
  const missed = schedule.between(lastSlot, now, max);
  if (resumeLast) missed.unshift(lastSlot);
  return policy === 'latest' ? missed.slice(-1) : missed.slice(-max);
}
