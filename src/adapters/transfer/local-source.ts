import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { notRegularFile, OPEN_LISTED_FILE, type FileCalls } from '../files/file-calls.js';
import { BUFFER_BYTES, keepBuffer, RecycledFileReader, takeBuffer } from './recycled-reader.js';

/**
 * Chunks of a whole recycled buffer, 1 MiB: a 1 GiB upload in 64 KiB chunks (Node's
 * default) spends its time in per-chunk work (callbacks, progress, allocation) rather
 * than in copying.
 */
const CHUNK_BYTES = BUFFER_BYTES;
const MIN_CHUNK_BYTES = 64 * 1024;

/** A local file opened for one upload: its bytes, and their SHA-256 once read (one read for both). */
export interface LocalSource {
  readonly stream: Readable;
  /** The SHA-256 of the bytes read (hex), when asked for; call once the stream ended. */
  sha256(): string | null;
  /** Fails when fewer or more bytes were read than the file had when opened (changed meanwhile). */
  checkComplete(): void;
  /** Hands the read buffers on to later files: only once every chunk was consumed and let go (the upload succeeded). */
  recycle(): void;
  close(): Promise<void>;
}

export interface SourceOptions {
  sha256: boolean;
  /**
   * Where the stream is piped straight into, when the caller can say (an FTP data
   * socket): a file of several chunks is then read into a few recycled buffers.
   */
  sink?: () => Writable | undefined;
}

export async function openLocalSource(localPath: string, options: SourceOptions): Promise<LocalSource> {
  const handle: FileHandle = await open(localPath, OPEN_LISTED_FILE);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegularFile(localPath);
    const { size } = info;
    const hash: Hash | null = options.sha256 ? createHash('sha256') : null;
    let read = 0;
    // A file smaller than a chunk is read in one buffer of its own size (in 1 MiB chunks,
    // each 200 KB file cost 2 MiB of allocation and a copy of its bytes).
    const chunkBytes = Math.min(CHUNK_BYTES, Math.max(size, MIN_CHUNK_BYTES));
    // Counted and hashed as read, without a Transform and a pipeline per file.
    const stream = new RecycledFileReader(handle, { chunkBytes, expectedBytes: size }, options.sink ?? (() => undefined), (chunk) => {
      read += chunk.length;
      hash?.update(chunk);
    });
    return {
      stream,
      sha256: () => hash?.digest('hex') ?? null,
      checkComplete() {
        if (read !== size) {
          throw new Error(`local file ${localPath} changed while it was sent: ${size} bytes when opened, ${read} read`);
        }
      },
      recycle: () => stream.recycle(),
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A small local file read whole, for an upload from memory. */
export interface LocalBytes {
  readonly bytes: Buffer;
  /** The SHA-256 of the bytes (hex), when asked for. */
  readonly sha256: string | null;
  /** Hands the buffer on to later files: only once the bytes were sent and let go (the upload succeeded). */
  recycle(): void;
}

/**
 * A file smaller than one read buffer (1 MiB), read with one call into a recycled
 * buffer; null for a larger one, which is streamed (openLocalSource). Fails when the
 * file changed meanwhile: it is read one byte past the size it had when opened. `calls`
 * says how (FileCalls: blocking ones on a local file system).
 */
export async function readLocalBytes(localPath: string, options: { sha256: boolean; calls: FileCalls }): Promise<LocalBytes | null> {
  const { calls } = options;
  const fd = await calls.open(localPath, OPEN_LISTED_FILE);
  try {
    const info = await calls.fstat(fd);
    if (!info.isFile()) throw notRegularFile(localPath);
    const { size } = info;
    if (size >= BUFFER_BYTES) return null;
    const buffer = takeBuffer();
    try {
      let read = 0;
      for (;;) {
        const bytesRead = await calls.read(fd, buffer, read, size + 1 - read, read);
        read += bytesRead;
        if (bytesRead === 0 || read > size) break;
      }
      if (read !== size) throw new Error(`local file ${localPath} changed while it was read: ${size} bytes when opened, ${read} read`);
    } catch (err) {
      keepBuffer(buffer);
      throw err;
    }
    const bytes = buffer.subarray(0, size);
    return {
      bytes,
      sha256: options.sha256 ? createHash('sha256').update(bytes).digest('hex') : null,
      recycle: () => keepBuffer(buffer),
    };
  } finally {
    await calls.close(fd);
  }
}

/** The SHA-256 (hex) of a local file, read in the same chunks as an upload. */
export async function sha256OfFile(localPath: string): Promise<string> {
  const source = await openLocalSource(localPath, { sha256: true });
  try {
    for await (const chunk of source.stream) void chunk;
    source.recycle();
  } finally {
    await source.close();
  }
  return source.sha256()!;
}
