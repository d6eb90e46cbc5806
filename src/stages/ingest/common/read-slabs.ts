import { notRegularFile, OPEN_LISTED_FILE, type FileCalls } from '../../../adapters/files/file-calls.js';

/**
 * Small files read into slabs of memory that serve file after file, as RowArena does for
 * their rows: read each into a buffer of its own, the ingest bench's 2,000 small files
 * (36 MB) took 150–240 ms to read in a new process, most of it page faults on memory
 * touched for the first time, and ~30 ms into memory used again; the whole `nocturne run`
 * 1.87 s, 1.82 s with slabs (medians of 5). A slab is used again once every file read
 * into it has been released.
 */
export const SLAB_BYTES = 2 * 1024 * 1024;
/** Idle slabs kept: enough for the batches in flight. */
const KEPT_SLABS = 4;

class Slab {
  readonly buffer = Buffer.allocUnsafe(SLAB_BYTES);
  used = 0;
  holders = 0;
}

let current: Slab | null = null;
const idle: Slab[] = [];

/** A file's bytes; `release()` (once they are no longer read) lets their memory serve another file. */
export interface SlabBytes {
  bytes: Buffer;
  release(): void;
}

/**
 * Reads the whole of `file` (the size it has when opened), with `calls` (FileCalls:
 * blocking ones on a local file system). A file larger than a slab gets a buffer of its
 * own, as a caller that expected a small file may meet a file grown since. A FIFO or a
 * link put in its place since the listing is refused (OPEN_LISTED_FILE).
 */
export async function readIntoSlab(file: string, calls: FileCalls): Promise<SlabBytes> {
  const fd = await calls.open(file, OPEN_LISTED_FILE);
  try {
    const info = await calls.fstat(fd);
    if (!info.isFile()) throw notRegularFile(file);
    const { size } = info;
    if (size > SLAB_BYTES) return { bytes: await readFully(calls, fd, Buffer.allocUnsafe(size)), release: () => undefined };
    // Nothing to hold: an empty file neither takes a slab nor keeps one from going back.
    if (size === 0) return { bytes: Buffer.alloc(0), release: () => undefined };
    // Its place is taken before the first wait, so that files read meanwhile go elsewhere.
    if (current === null || current.used + size > SLAB_BYTES) {
      // The full slab is left to its holders; the last one to release it returns it to the pool.
      current = idle.pop() ?? new Slab();
    }
    const slab = current;
    const start = slab.used;
    slab.used += size;
    slab.holders++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--slab.holders > 0) return;
      if (slab === current) slab.used = 0;
      else if (idle.length < KEPT_SLABS) {
        slab.used = 0;
        idle.push(slab);
      }
    };
    try {
      return { bytes: await readFully(calls, fd, slab.buffer.subarray(start, start + size)), release };
    } catch (err) {
      release();
      throw err;
    }
  } finally {
    await calls.close(fd);
  }
}

/** Fills `into` from the file's start; the part filled (shorter if the file shrank). */
async function readFully(calls: FileCalls, fd: number, into: Buffer): Promise<Buffer> {
  let filled = 0;
  while (filled < into.length) {
    const n = await calls.read(fd, into, filled, into.length - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return into.subarray(0, filled);
}
