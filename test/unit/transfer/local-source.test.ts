import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalBytes } from '../../../src/adapters/transfer/local-source.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-local-source-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readLocalBytes', () => {
  it('reads a file under 1 MiB whole, with its SHA-256 when asked', async () => {
    const body = randomBytes(200_000);
    const file = path.join(dir, 'small.bin');
    await writeFile(file, body);
    const read = await readLocalBytes(file, { sha256: true });
    expect(read?.bytes.equals(body)).toBe(true);
    expect(read?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect((await readLocalBytes(file, { sha256: false }))?.sha256).toBeNull();
  });

  it('leaves a file of 1 MiB or more to be streamed', async () => {
    const file = path.join(dir, 'big.bin');
    await writeFile(file, Buffer.alloc(1024 * 1024));
    expect(await readLocalBytes(file, { sha256: false })).toBeNull();
  });

  it('refuses a file that reads longer than its size when opened', async () => {
    // A /proc file says 0 bytes and reads more: as a file written to meanwhile.
    await expect(readLocalBytes('/proc/self/status', { sha256: false })).rejects.toThrow(
      /local file \/proc\/self\/status changed while it was read: 0 bytes when opened, 1 read/,
    );
  });

  it('hands its buffer on only when recycled: two files read in turn keep their own bytes', async () => {
    const [a, b] = [randomBytes(1000), randomBytes(1000)];
    await writeFile(path.join(dir, 'a.bin'), a);
    await writeFile(path.join(dir, 'b.bin'), b);
    const first = (await readLocalBytes(path.join(dir, 'a.bin'), { sha256: false }))!;
    const second = (await readLocalBytes(path.join(dir, 'b.bin'), { sha256: false }))!;
    expect(first.bytes.equals(a) && second.bytes.equals(b)).toBe(true);
    first.recycle();
    const third = (await readLocalBytes(path.join(dir, 'b.bin'), { sha256: false }))!;
    expect(third.bytes.buffer).toBe(first.bytes.buffer);
    expect(second.bytes.equals(b)).toBe(true);
  });
});
