import { PassThrough, Writable, type Readable } from 'node:stream';
import { NocturneError } from '../../core/errors.js';
import { transferError } from './transfer-errors.js';

export interface SessionGuardOptions {
  target: string;
  /** No answer (or, for transfers, no progress) for this long fails the operation. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Tears the connection down at once (socket destroy): the library may be stuck. */
  destroy: () => void;
}

/**
 * Puts every operation of one connection inside our own deadline and the stage's
 * AbortSignal, and retires the connection after any error: libraries such as ssh2 can
 * hang in end() or on a dead socket, and a client that failed once is not reused.
 */
export class SessionGuard {
  readonly #options: SessionGuardOptions;
  #closed: NocturneError | null = null;

  constructor(options: SessionGuardOptions) {
    this.#options = options;
  }

  get target(): string {
    return this.#options.target;
  }

  /**
   * Runs `work`. The deadline restarts whenever `work` calls `touch` (bytes moved), so a
   * large file on a slow link is judged on progress, a silent server on `timeoutMs`.
   */
  async run<T>(op: string, path: string | undefined, work: (touch: () => void) => Promise<T>): Promise<T> {
    const place = { target: this.#options.target, op, ...(path === undefined ? {} : { path }) };
    if (this.#closed) throw this.#closed;
    const { signal, timeoutMs } = this.#options;
    if (signal?.aborted) throw aborted(place.op, signal);
    let timer: NodeJS.Timeout | undefined;
    let fail: (err: NocturneError) => void = () => {};
    const stopped = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        fail(
          new NocturneError('TIMEOUT', `target "${place.target}": ${op}${path ? ` ${path}` : ''}: no progress within ${timeoutMs} ms`, {
            retryable: true,
          }),
        );
      }, timeoutMs);
    };
    const onAbort = () => fail(aborted(op, signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    const pending = work(arm);
    try {
      return await Promise.race([pending, stopped]);
    } catch (err) {
      const error = transferError(err, place);
      this.#retire(error);
      // The abandoned operation fails once its socket is destroyed; that failure is the
      // one just reported, so it is only kept from becoming an unhandled rejection.
      pending.catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A remote file as a stream, for read-back and ingestion. `pump` writes the bytes into
   * the sink it is given; the returned stream ends only once `pump` has resolved (the
   * server confirmed the transfer), so the connection is idle again when the reader sees
   * the end. A reader that gives up early (destroys the stream) fails the transfer.
   */
  stream(op: string, path: string, pump: (sink: Writable) => Promise<unknown>): Readable {
    const out = new PassThrough();
    let settled = false;
    void this.run(op, path, (touch) => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          touch();
          if (out.write(chunk)) done();
          else out.once('drain', () => done());
        },
      });
      out.once('close', () => {
        // Only while `pump` still listens to the sink: its failure ends the transfer.
        if (!settled && !out.writableFinished) sink.destroy(new Error('the reader stopped before the end'));
      });
      return pump(sink);
    }).then(
      () => {
        settled = true;
        out.end();
      },
      (err: unknown) => {
        settled = true;
        out.destroy(err as Error);
      },
    );
    return out;
  }

  /** Ends the connection politely within the deadline, or destroys it. Never throws. */
  async close(end: () => Promise<unknown>): Promise<void> {
    if (this.#closed) return;
    this.#closed = new NocturneError('TRANSFER_FAILED', `target "${this.#options.target}": session already closed`, {
      retryable: true,
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.min(this.#options.timeoutMs, 5_000));
    });
    const ended = end().then(
      () => 'ended' as const,
      () => 'failed' as const,
    );
    const how = await Promise.race([ended, deadline]);
    clearTimeout(timer);
    if (how !== 'ended') this.#options.destroy();
  }

  /** The connection dropped between operations: the next operation fails at once. */
  lost(cause: unknown): void {
    this.#retire(transferError(cause, { target: this.#options.target, op: 'connection' }));
  }

  #retire(error: NocturneError): void {
    if (this.#closed) return;
    this.#closed = new NocturneError(
      'TRANSFER_FAILED',
      `target "${this.#options.target}": session closed after an error (${error.message}); open a new one`,
      { retryable: true, cause: error },
    );
    this.#options.destroy();
  }
}

function aborted(op: string, signal: AbortSignal | undefined): NocturneError {
  return new NocturneError('ABORTED', `${op}: aborted (${String(signal?.reason ?? 'stop requested')})`, {
    cause: signal?.reason,
  });
}
