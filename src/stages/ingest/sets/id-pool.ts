import type { Db } from '../../../db/database.js';
import { databaseError } from '../../../db/errors.js';

/**
 * Ids drawn from a sequence ahead of use, a batch per round trip: a set's load id and
 * its observations' ids are known before its one message is sent, so the features'
 * references are written directly. Ids of a set that is then not loaded are simply
 * never used (sequences have gaps anyway).
 */
export class IdPool {
  readonly #db: Db;
  readonly #sequence: string;
  readonly #batch: number;
  #ids: string[] = [];
  #refill: Promise<void> | null = null;

  constructor(db: Db, sequence: string, batch = 256) {
    this.#db = db;
    this.#sequence = sequence;
    this.#batch = batch;
  }

  async one(): Promise<string> {
    return (await this.take(1))[0]!;
  }

  async take(n: number): Promise<string[]> {
    while (this.#ids.length < n) {
      // One refill at a time: concurrent takers wait for it, then take in turn.
      this.#refill ??= this.#draw(Math.max(this.#batch, n)).finally(() => (this.#refill = null));
      await this.#refill;
    }
    return this.#ids.splice(0, n);
  }

  async #draw(count: number): Promise<void> {
    try {
      const rows = await this.#db.any<{ id: string }>('SELECT nextval($1::regclass)::text AS id FROM generate_series(1, $2)', [
        this.#sequence,
        count,
      ]);
      this.#ids.push(...rows.map((r) => r.id));
    } catch (err) {
      throw databaseError(err, `drawing ids from ${this.#sequence}`);
    }
  }
}
