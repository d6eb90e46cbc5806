import { coerceError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { beat, markStopped, registerHost, type HostInfo } from './hosts.js';

/**
 * This daemon's row in the hosts table: registered at start, its heartbeat written every
 * `heartbeatMs`, marked stopped at a clean stop. A heartbeat that fails (database down)
 * is logged and tried again at the next beat: the host's silence is what others notice.
 */
export class Heartbeat {
  readonly #db: Db;
  readonly #logger: Logger;
  #info: HostInfo;
  #timer: NodeJS.Timeout | null = null;
  #beating: Promise<void> = Promise.resolve();
  #failing = false;
  #stopped = false;

  constructor(db: Db, info: HostInfo, logger: Logger) {
    this.#db = db;
    this.#info = info;
    this.#logger = logger.child({ host: info.name });
  }

  /** Registers this host; a failure is logged and the registration tried again at the next beat. */
  async start(): Promise<void> {
    try {
      await registerHost(this.#db, this.#info);
    } catch (err) {
      this.#failing = true;
      this.#logger.warn(
        { err: coerceError(err, 'DB_FAILED', 'registering this host') },
        'host not registered: trying again at the next heartbeat',
      );
    }
    this.#schedule();
  }

  /** A reload may change what this host schedules: written with the next beat. */
  update(schedules: readonly string[]): void {
    this.#info = { ...this.#info, schedules };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#beating;
    try {
      await markStopped(this.#db, this.#info.name);
    } catch (err) {
      this.#logger.warn({ err: coerceError(err, 'DB_FAILED', 'recording the stop of this host') }, 'clean stop not recorded in hosts');
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    // Unref'd: the heartbeat alone must not keep a stopping process alive.
    this.#timer = setTimeout(() => {
      this.#beating = this.#beat().finally(() => this.#schedule());
    }, this.#info.heartbeatMs).unref();
  }

  async #beat(): Promise<void> {
    try {
      if (!(await beat(this.#db, this.#info.name, this.#info.schedules))) {
        // Another daemon took the name over: say so, and take it back, so the row
        // flips and the log shows both hosts claiming it rather than one going silent.
        this.#logger.error(
          { pid: process.pid },
          'another daemon registered under this host name: give each host its own host.name; registering again',
        );
        await registerHost(this.#db, this.#info);
      }
      if (this.#failing) this.#logger.info('heartbeat written again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#logger.warn({ err: coerceError(err, 'DB_FAILED', 'heartbeat') }, 'heartbeat not written');
      this.#failing = true;
    }
  }
}
