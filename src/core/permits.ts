/**
 * At most `count` units held at once (connections, bytes...); the others wait their
 * turn, first come, first served. An amount larger than `count` is let in once nothing
 * else is held, so that nothing waits forever.
 */
export class Permits {
  readonly #count: number;
  #free: number;
  readonly #waiting: { amount: number; enter: () => void }[] = [];

  constructor(count: number) {
    this.#count = count;
    this.#free = count;
  }

  /** Resolves once `amount` is held; give it back with release(). */
  async take(amount = 1): Promise<void> {
    if (this.#waiting.length === 0 && this.#fits(amount)) {
      this.#free -= amount;
      return;
    }
    await new Promise<void>((enter) => this.#waiting.push({ amount, enter }));
  }

  /** Runs `fn` holding `amount`. */
  async with<T>(fn: () => Promise<T>, amount = 1): Promise<T> {
    await this.take(amount);
    try {
      return await fn();
    } finally {
      this.release(amount);
    }
  }

  /** Gives `amount` back, and lets in those waiting first that now fit. */
  release(amount = 1): void {
    this.#free += amount;
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.amount)) {
      const next = this.#waiting.shift()!;
      this.#free -= next.amount;
      next.enter();
    }
  }

  #fits(amount: number): boolean {
    return amount <= this.#free || this.#free === this.#count;
  }
}
