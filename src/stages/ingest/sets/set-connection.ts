import type { Permits } from '../../../core/permits.js';
import type { Db } from '../../../db/database.js';
import { databaseError } from '../../../db/errors.js';
import type { Connection } from '../common/connection.js';

const ROLLBACK = 'ROLLBACK';

/**
 * A set's connection, taken from the pool at its first statement, under one of the run's
 * permits (as many as its loads in flight used to hold connections). A set that goes in
 * another's group commit (see SetGroups) never takes one: more sets can wait to be
 * grouped than there are connections, and the groups grow.
 */
export class SetConnection {
  readonly #db: Db;
  readonly #permits: Permits;
  readonly #label: string;
  #taking: Promise<Connection> | undefined;
  #conn: Connection | undefined;

  constructor(db: Db, permits: Permits, label: string) {
    this.#db = db;
    this.#permits = permits;
    this.#label = label;
  }

  /** Sends `sql`; a ROLLBACK before any statement has nothing to undo, and takes no connection. */
  async none(sql: string): Promise<void> {
    if (sql === ROLLBACK && !this.#taking) return;
    await (await this.#connection()).none(sql);
  }

  async multi(sql: string): Promise<unknown[][]> {
    return (await this.#connection()).multi(sql);
  }

  /** Gives the connection back (destroyed when its state is unknown), with its permit. */
  async done(destroy: boolean): Promise<void> {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = undefined;
    this.#taking = undefined;
    try {
      await conn.done(destroy);
    } finally {
      this.#permits.release();
    }
  }

  #connection(): Promise<Connection> {
    this.#taking ??= this.#take();
    return this.#taking;
  }

  async #take(): Promise<Connection> {
    await this.#permits.take();
    try {
      this.#conn = await this.#db.connect();
      return this.#conn;
    } catch (err) {
      this.#permits.release();
      this.#taking = undefined;
      throw databaseError(err, `${this.#label}: connecting to the database`);
    }
  }
}
