import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIntoSlab, SLAB_BYTES } from '../../../src/stages/ingest/common/read-slabs.js';

/** Four of them fill a slab. */
const QUARTER = SLAB_BYTES / 4;

describe('readIntoSlab', () => {
  let dir: string;
  /** A file of `size` bytes, every byte `fill`. */
  const file = async (name: string, size: number, fill: number) => {
    const p = path.join(dir, name);
    await writeFile(p, Buffer.alloc(size, fill));
    return p;
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-slabs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never reuses the memory of a file still held, and reuses a slab once all its files are released', async () => {
    // Four files fill a slab; the fifth starts another.
    const [a0, a1, a2, a3, b0] = [
      readIntoSlab(await file('f0', QUARTER, 1)),
      readIntoSlab(await file('f1', QUARTER, 2)),
      readIntoSlab(await file('f2', QUARTER, 3)),
      readIntoSlab(await file('f3', QUARTER, 4)),
      readIntoSlab(await file('f4', QUARTER, 5)),
    ];
    expect(a3.bytes.buffer).toBe(a0.bytes.buffer);
    expect(b0.bytes.buffer).not.toBe(a0.bytes.buffer);
    // Three of the first slab released, twice for one of them: the fourth still holds it.
    for (const r of [a0, a1, a2, a2]) r.release();
    const more = [];
    for (let i = 0; i < 3; i++) more.push(readIntoSlab(await file(`g${i}`, QUARTER, 0x40 + i)));
    expect(more.every((m) => m.bytes.buffer === b0.bytes.buffer)).toBe(true);
    expect(a3.bytes.every((byte) => byte === 4)).toBe(true);
    // The second slab is full; with the first free again, the next file goes there.
    a3.release();
    const reused = readIntoSlab(await file('h', 1000, 0x7e));
    expect(reused.bytes.buffer).toBe(a0.bytes.buffer);
    expect(reused.bytes.length).toBe(1000);
    expect(reused.bytes.every((byte) => byte === 0x7e)).toBe(true);
    // What the second slab's files hold was not touched.
    expect(b0.bytes.every((byte) => byte === 5)).toBe(true);
    expect(more.map((m) => m.bytes[QUARTER - 1])).toEqual([0x40, 0x41, 0x42]);
  });

  it('reads a file larger than a slab into a buffer of its own, and an empty file as no bytes', async () => {
    const big = readIntoSlab(await file('big', SLAB_BYTES + 1, 9));
    expect(big.bytes.length).toBe(SLAB_BYTES + 1);
    expect(big.bytes[SLAB_BYTES]).toBe(9);
    big.release();
    expect(readIntoSlab(await file('empty', 0, 0)).bytes.length).toBe(0);
  });

  it('fails as fs does for a file that is not there (ENOENT: the file went since the listing)', () => {
    expect(() => readIntoSlab(path.join(dir, 'gone'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
