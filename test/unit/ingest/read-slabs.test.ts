import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { blockingCalls, threadPoolCalls } from '../../../src/adapters/files/file-calls.js';
import * as readModule from '../../../src/stages/ingest/common/read-slabs.js';

/** Four of them fill a slab. */
const QUARTER = readModule.SLAB_BYTES / 4;

describe.each([
  ['blocking calls', blockingCalls],
  ['thread-pool calls', threadPoolCalls],
])('readIntoSlab with %s', (_, calls) => {
  // The slabs are the module's: each kind of calls starts with none.
  let readWith: typeof readModule.readIntoSlab;
  const readIntoSlab = (file: string) => readWith(file, calls);
  let dir: string;
  /** A file of `size` bytes, every byte `fill`. */
  const file = async (name: string, size: number, fill: number) => {
    const p = path.join(dir, name);
    await writeFile(p, Buffer.alloc(size, fill));
    return p;
  };
  beforeAll(async () => {
    vi.resetModules();
    ({ readIntoSlab: readWith } = await import('../../../src/stages/ingest/common/read-slabs.js'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-slabs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never reuses the memory of a file still held, and reuses a slab once all its files are released', async () => {
    // Four files fill a slab; the fifth starts another.
    const [a0, a1, a2, a3, b0] = [
      await readIntoSlab(await file('f0', QUARTER, 1)),
      await readIntoSlab(await file('f1', QUARTER, 2)),
      await readIntoSlab(await file('f2', QUARTER, 3)),
      await readIntoSlab(await file('f3', QUARTER, 4)),
      await readIntoSlab(await file('f4', QUARTER, 5)),
    ];
    // Compared as booleans: a failed toBe on two 2 MiB buffers makes vitest diff them for minutes.
    expect(a3.bytes.buffer === a0.bytes.buffer).toBe(true);
    expect(b0.bytes.buffer === a0.bytes.buffer).toBe(false);
    // Three of the first slab released, twice for one of them: the fourth still holds it.
    for (const r of [a0, a1, a2, a2]) r.release();
    const more = [];
    for (let i = 0; i < 3; i++) more.push(await readIntoSlab(await file(`g${i}`, QUARTER, 0x40 + i)));
    expect(more.every((m) => m.bytes.buffer === b0.bytes.buffer)).toBe(true);
    expect(a3.bytes.every((byte) => byte === 4)).toBe(true);
    // The second slab is full: a file that fills a slab takes a new one, not the first one,
    // which a3 holds (a2 released twice would have let it go, and this file overwrite a3).
    const whole = await readIntoSlab(await file('whole', readModule.SLAB_BYTES, 0x33));
    expect(whole.bytes.buffer === a0.bytes.buffer).toBe(false);
    expect(a3.bytes.every((byte) => byte === 4)).toBe(true);
    // With the first free again, the next file goes there.
    a3.release();
    const reused = await readIntoSlab(await file('h', 1000, 0x7e));
    expect(reused.bytes.buffer === a0.bytes.buffer).toBe(true);
    expect(reused.bytes.length).toBe(1000);
    expect(reused.bytes.every((byte) => byte === 0x7e)).toBe(true);
    // What the second slab's files hold was not touched.
    expect(b0.bytes.every((byte) => byte === 5)).toBe(true);
    expect(more.map((m) => m.bytes[QUARTER - 1])).toEqual([0x40, 0x41, 0x42]);
  });

  it('reads a file larger than a slab into a buffer of its own, and an empty file as no bytes, in no slab', async () => {
    const big = await readIntoSlab(await file('big', readModule.SLAB_BYTES + 1, 9));
    expect(big.bytes.length).toBe(readModule.SLAB_BYTES + 1);
    expect(big.bytes[readModule.SLAB_BYTES]).toBe(9);
    big.release();
    const empty = await readIntoSlab(await file('empty', 0, 0));
    expect(empty.bytes.length).toBe(0);
    expect(empty.bytes.buffer.byteLength).toBe(0);
  });

  it('fails as fs does for a file that is not there (ENOENT: the file went since the listing)', async () => {
    await expect(readIntoSlab(path.join(dir, 'gone'))).rejects.toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('gives files read at the same time places of their own in a slab', async () => {
    const names = await Promise.all([0, 1, 2].map((i) => file(`same-time-${i}`, 1000, 0x10 + i)));
    const read = await Promise.all(names.map(readIntoSlab));
    expect(read.map((r) => r.bytes.every((byte, _, all) => byte === all[0]) && r.bytes[0])).toEqual([0x10, 0x11, 0x12]);
    for (const r of read) r.release();
  });
});

// Opened for reading, a FIFO waits for a writer. Tried with the thread pool's calls: with
// blocking ones, a missing O_NONBLOCK would hang the test run rather than fail this test.
it('readIntoSlab refuses a FIFO or a link put in place of a file, without waiting for a writer', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-slabs-'));
  try {
    const [fifo, link] = [path.join(dir, 'fifo.csv'), path.join(dir, 'link.csv')];
    execFileSync('mkfifo', [fifo]);
    await expect(readModule.readIntoSlab(fifo, threadPoolCalls)).rejects.toThrow(`local file ${fifo} is not a regular file`);
    await writeFile(path.join(dir, 'a.csv'), 'a');
    execFileSync('ln', ['-s', path.join(dir, 'a.csv'), link]);
    await expect(readModule.readIntoSlab(link, threadPoolCalls)).rejects.toThrow(/ELOOP/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
