import type { RemoteSession, RemoteStore } from '../../adapters/transfer/remote-store.js';
import { serializeSession } from '../../adapters/transfer/serialized-session.js';

interface Entry {
  session: Promise<RemoteSession>;
  users: number;
  retired: boolean;
}

export interface Lease {
  readonly session: RemoteSession;
  /** `failed`: the work went wrong, so this session is not handed out again. */
  release(failed: boolean): Promise<void>;
}

/**
 * One connection to the target, shared by a few workers so that one file's database
 * commit overlaps another file's transfer. After any failure the session is retired:
 * later leases get a fresh one, and the old one is closed once its last user is done.
 */
export class SharedConnection {
  readonly #store: RemoteStore;
  readonly #signal: AbortSignal;
  #current: Entry | null = null;

  constructor(store: RemoteStore, signal: AbortSignal) {
    this.#store = store;
    this.#signal = signal;
  }

  /** Rejects when no session can be opened (the target is unreachable or refuses us). */
  async acquire(): Promise<Lease> {
    const entry = (this.#current ??= {
      session: this.#store.open(this.#signal).then((s) => (s.concurrent ? s : serializeSession(s))),
      users: 0,
      retired: false,
    });
    entry.users += 1;
    let session: RemoteSession;
    try {
      session = await entry.session;
    } catch (err) {
      entry.users -= 1;
      this.#retire(entry);
      throw err;
    }
    let released = false;
    return {
      session,
      release: async (failed) => {
        if (released) return;
        released = true;
        entry.users -= 1;
        if (failed) this.#retire(entry);
        await this.#closeIfIdle(entry);
      },
    };
  }

  /** Closes the current session once nobody uses it (end of the run). */
  async close(): Promise<void> {
    const entry = this.#current;
    if (!entry) return;
    this.#retire(entry);
    await this.#closeIfIdle(entry);
  }

  #retire(entry: Entry): void {
    entry.retired = true;
    if (this.#current === entry) this.#current = null;
  }

  async #closeIfIdle(entry: Entry): Promise<void> {
    if (!entry.retired || entry.users > 0) return;
    // A session that never opened has nothing to close.
    const session = await entry.session.catch(() => null);
    await session?.close();
  }
}
