import type { FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** Buffers one reader reads into, in turn. */
const BUFFERS = 3;
/** What the read past the expected end is made with: it finds the end, or bytes appended meanwhile. */
const PROBE_BYTES = 1024;
/** Size of every buffer made (the largest chunk), so that any reader can take any buffer handed back. */
export const BUFFER_BYTES = 1024 * 1024;
/** Most buffers kept between files: the default 4 FTP connections each send one file at a time (their sessions are serialized), in up to BUFFERS buffers. */
const MAX_KEPT = 16;

/**
 * Buffers of finished reads, for the next files: 2,000 files of 200 KB read into fresh
 * buffers allocate 400 MB outside the heap, which V8 frees only in full collections.
 */
const kept: Buffer[] = [];

/** A buffer of BUFFER_BYTES: a kept one, or a new one. */
export function takeBuffer(): Buffer {
  return kept.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES);
}

/** Hands a buffer from takeBuffer on to later files, once nothing holds it any more. */
export function keepBuffer(buffer: Buffer): void {
  if (kept.length < MAX_KEPT) kept.push(buffer);
}

/**
 * A file read in chunks into a few buffers of its own, used again and again, for a
 * stream piped straight into `sink()` (an FTP data socket). A fresh buffer per chunk
 * (what fs streams do) makes a 1 GiB upload allocate 1 GiB outside the JavaScript heap:
 * V8 frees it only in full collections, which it starts once some 64 MiB piled up, so
 * the peak RSS grew by ~45 MiB and the collections took a fifth of the CPU time.
 *
 * A buffer is read into again only once nothing can still hold it: no chunk waits in
 * this stream and the sink has written everything it was given. Without a sink to ask,
 * a fresh buffer is made, as before. Once its consumer is done with every chunk (the
 * upload succeeded), `recycle()` hands the buffers on to the next reader.
 */
export class RecycledFileReader extends Readable {
  readonly #handle: FileHandle;
  readonly #chunkBytes: number;
  readonly #expectedBytes: number;
  readonly #sink: () => Writable | undefined;
  readonly #onChunk: (chunk: Buffer) => void;
  readonly #buffers: Buffer[] = [];
  #turn = 0;
  #readFailure: Error | null = null;
  #position = 0;

  /** `expectedBytes`: the file's size when opened; the read beyond it takes a small buffer. */
  constructor(
    handle: FileHandle,
    sizes: { chunkBytes: number; expectedBytes: number },
    sink: () => Writable | undefined,
    onChunk: (chunk: Buffer) => void,
  ) {
    super({ highWaterMark: sizes.chunkBytes });
    this.#handle = handle;
    this.#chunkBytes = sizes.chunkBytes;
    this.#expectedBytes = sizes.expectedBytes;
    this.#sink = sink;
    this.#onChunk = onChunk;
  }

  override _read(): void {
    this.#next().catch((err: unknown) => {
      if (this.destroyed) return;
      this.#readFailure = err as Error;
      this.destroy(this.#readFailure);
    });
  }

  /**
   * Only a failure to read the file is this stream's error. Destroyed by a pipeline for
   * the sink's failure, it closes without one: the sink reports that failure, and
   * basic-ftp closes the control connection on an error of the source, which would lose
   * the server's reply (e.g. "451 Failure writing to local file").
   */
  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    done(err !== null && err === this.#readFailure ? err : null);
  }

  async #next(): Promise<void> {
    const buffer = this.#position >= this.#expectedBytes ? Buffer.allocUnsafe(PROBE_BYTES) : await this.#freeBuffer();
    if (this.destroyed) return;
    const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, this.#position);
    if (bytesRead === 0) {
      this.push(null);
      return;
    }
    if (this.destroyed) return;
    this.#position += bytesRead;
    const chunk = buffer.subarray(0, bytesRead);
    this.#onChunk(chunk);
    this.push(chunk);
  }

  /**
   * Gives this reader's buffers to the readers that come next. Only once whoever
   * consumed the stream is done with every chunk (a finished pipeline, the upload
   * confirmed): the next reader writes into them.
   */
  recycle(): void {
    for (const buffer of this.#buffers.splice(0)) keepBuffer(buffer);
  }

  /** A buffer of this reader's own: a kept one, or a new one. */
  #own(): Buffer {
    const buffer = takeBuffer();
    this.#buffers.push(buffer);
    return buffer.subarray(0, this.#chunkBytes);
  }

  async #freeBuffer(): Promise<Buffer> {
    if (this.#buffers.length < BUFFERS) return this.#own();
    for (;;) {
      const sink = this.#sink();
      if (sink === undefined) return Buffer.allocUnsafeSlow(this.#chunkBytes);
      if (this.readableLength === 0 && sink.writableLength === 0) break;
      if (this.destroyed || sink.destroyed) return Buffer.allocUnsafeSlow(this.#chunkBytes);
      // 'drain' comes only after a write that filled the sink; otherwise look again soon.
      if (sink.writableNeedDrain) await drainOrClose(sink);
      else await new Promise((resolve) => setImmediate(resolve));
    }
    this.#turn = (this.#turn + 1) % BUFFERS;
    return this.#buffers[this.#turn]!.subarray(0, this.#chunkBytes);
  }
}

/** Resolves at the sink's next 'drain', or its 'close' (which also follows an error). */
function drainOrClose(sink: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
  });
}
