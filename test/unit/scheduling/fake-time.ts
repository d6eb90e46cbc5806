import type { Clock } from '../../../src/core/clock.js';
import { NocturneError } from '../../../src/core/errors.js';

interface Waiter {
  at: number;
  resolve: () => void;
}

/** Lets every promise chain that can progress do so before time moves again. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Wall clock and timers under a test's control. Timers run on monotonic time, as
 * setTimeout does: `jump()` moves the wall clock only, like an NTP step or a manual
 * `date -s`, and pending sleeps still last their full duration.
 */
export class FakeTime {
  #mono = 0;
  #offset: number;
  #waiters: Waiter[] = [];
  readonly clock: Clock = { now: () => new Date(this.#mono + this.#offset) };

  constructor(start: Date) {
    this.#offset = start.getTime();
  }

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const aborted = () => new NocturneError('ABORTED', 'aborted', { cause: signal?.reason });
      if (signal?.aborted) return reject(aborted());
      const waiter: Waiter = { at: this.#mono + ms, resolve };
      this.#waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(aborted());
        },
        { once: true },
      );
    });

  /** Runs time forward to `until` (wall clock), firing every sleep that ends on the way. */
  async advanceTo(until: Date): Promise<void> {
    const target = until.getTime() - this.#offset;
    await settle();
    for (;;) {
      const next = Math.min(...this.#waiters.map((w) => w.at));
      if (!(next <= target)) break;
      this.#mono = Math.max(this.#mono, next);
      const due = this.#waiters.filter((w) => w.at <= this.#mono);
      this.#waiters = this.#waiters.filter((w) => w.at > this.#mono);
      for (const w of due) w.resolve();
      await settle();
      await settle();
    }
    this.#mono = Math.max(this.#mono, target);
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(new Date(this.clock.now().getTime() + ms));
  }

  /** Steps the wall clock by `ms` (negative: backwards) without any timer noticing. */
  jump(ms: number): void {
    this.#offset += ms;
  }
}
