import { once } from 'node:events';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

/** The part of a pg client used here (pg-promise's typing of `sco.client` is narrower than pg's). */
export interface CopyClient {
  query(submittable: CopyStreamQuery): unknown;
}

/**
 * One `COPY ... FROM STDIN` on a dedicated client. Callers hand it large strings (many
 * rows each): pg sets TCP_NODELAY, so a socket write per row costs about half again
 * the wall time. Once the server has reported an error, pg-copy-streams has dropped its
 * connection and must not be written to, ended or destroyed again: every method checks.
 */
export class CopyWriter {
  readonly #stream: CopyStreamQuery;
  readonly #settled: Promise<void>;
  #error: Error | null = null;

  constructor(client: CopyClient, sql: string) {
    this.#stream = copyFrom(sql);
    client.query(this.#stream);
    this.#settled = new Promise<void>((resolve, reject) => {
      this.#stream.on('finish', resolve);
      this.#stream.on('error', (err: Error) => {
        this.#error ??= err;
        reject(err);
      });
    });
    // Observed through write()/finish()/abort(); never an unhandled rejection.
    this.#settled.catch(() => undefined);
  }

  /** Sends `text` (whole rows, newline-terminated; UTF-8 if bytes), waiting while the socket is full. */
  async write(text: string | Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }

  /** Ends the COPY; resolves with the number of rows the server stored. */
  async finish(): Promise<number> {
    if (this.#error) throw this.#error;
    this.#stream.end();
    await this.#settled;
    return this.#stream.rowCount;
  }

  /** Cancels the COPY (CopyFail): the server discards it and the transaction is aborted. */
  async abort(reason: string): Promise<void> {
    if (this.#error) return;
    this.#stream.destroy(new Error(reason));
    await this.#settled.catch(() => undefined);
  }
}
