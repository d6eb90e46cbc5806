import { coerceError, type NocturneError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';

/**
 * What start() acquired, released in reverse order by stop(). A step that fails is
 * logged and the others still run: a stuck HTTP server must not keep the database open.
 */
export class Releasers {
  readonly #stack: { name: string; release: () => Promise<void> | void }[] = [];

  add(name: string, release: () => Promise<void> | void): void {
    this.#stack.push({ name, release });
  }

  /** Runs every release step, newest first; returns the failures (already logged). */
  async releaseAll(logger: Logger): Promise<NocturneError[]> {
    const failures: NocturneError[] = [];
    while (this.#stack.length > 0) {
      const { name, release } = this.#stack.pop()!;
      try {
        await release();
        logger.debug({ step: name }, 'released');
      } catch (err) {
        const error = coerceError(err, 'INTERNAL', `stopping ${name}`);
        logger.error({ err: error, step: name }, 'release step failed');
        failures.push(error);
      }
    }
    return failures;
  }
}
