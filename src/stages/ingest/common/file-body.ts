import { open } from 'node:fs/promises';
import { notRegularFile, OPEN_LISTED_FILE } from '../../../adapters/files/file-calls.js';

/**
 * The bytes of a file being ingested: a small file is held in memory (read once, hashed
 * and parsed from the same buffer), a large one is read from disk each time it is
 * needed (a local file, or a download in paths.work).
 */
export type FileBody = { path: string } | { bytes: Buffer };

/** Files up to this size are read whole into memory. */
export const IN_MEMORY_BYTES = 1024 * 1024;

/** Yields 64 KiB at a time: V8 allocates strings over 128 KiB one by one, expensively. */
const CHUNK_BYTES = 64 * 1024;
/** Reads 1 MiB at a time: each read is a round through the threadpool (~0.1 ms here), 16 times fewer. */
const READ_BYTES = 16 * CHUNK_BYTES;

/**
 * The file's bytes in chunks. A chunk read from disk is only valid until the next one
 * is asked for (one buffer is reused, to spare the allocator hundreds of megabytes of
 * garbage per large file): consume it, or copy what you keep.
 */
export async function* chunksOf(body: FileBody): AsyncIterable<Buffer> {
  if ('bytes' in body) {
    yield* chunksIn(body.bytes);
    return;
  }
  const handle = await open(body.path, OPEN_LISTED_FILE);
  try {
    if (!(await handle.stat()).isFile()) throw notRegularFile(body.path);
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
      if (bytesRead === 0) return;
      yield* chunksIn(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

function* chunksIn(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
}
