import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
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
    const read = readLocalBytes(file, { sha256: true });
    expect(read?.bytes.equals(body)).toBe(true);
    expect(read?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(readLocalBytes(file, { sha256: false })?.sha256).toBeNull();
  });

  it('leaves a file of 1 MiB or more to be streamed', async () => {
    const file = path.join(dir, 'big.bin');
    await writeFile(file, Buffer.alloc(1024 * 1024));
    expect(readLocalBytes(file, { sha256: false })).toBeNull();
  });

  it('refuses a file that reads longer than its size when opened', async () => {
    // A /proc file says 0 bytes and reads more: as a file written to meanwhile.
    expect(() => readLocalBytes('/proc/self/status', { sha256: false })).toThrow(
      /local file \/proc\/self\/status changed while it was read: 0 bytes when opened, 1 read/,
    );
  });

  it('hands its buffer on only when recycled: two files read in turn keep their own bytes', async () => {
    const [a, b] = [randomBytes(1000), randomBytes(1000)];
    await writeFile(path.join(dir, 'a.bin'), a);
    await writeFile(path.join(dir, 'b.bin'), b);
    const first = readLocalBytes(path.join(dir, 'a.bin'), { sha256: false })!;
    const second = readLocalBytes(path.join(dir, 'b.bin'), { sha256: false })!;
    expect(first.bytes.equals(a) && second.bytes.equals(b)).toBe(true);
    first.recycle();
    const third = readLocalBytes(path.join(dir, 'b.bin'), { sha256: false })!;
    expect(third.bytes.buffer).toBe(first.bytes.buffer);
    expect(second.bytes.equals(b)).toBe(true);
  });

  // The calls block the event loop: a FIFO opened for reading would wait for a writer forever.
  it('refuses a FIFO put in place of a file, without waiting for a writer', () => {
    const fifo = path.join(dir, 'fifo.csv');
    execFileSync('mkfifo', [fifo]);
    expect(() => readLocalBytes(fifo, { sha256: false })).toThrow(`local file ${fifo} is no longer a regular file`);
  });

  it('refuses a symbolic link put in place of a file (the outbox listing skips links)', async () => {
    const [target, link] = [path.join(dir, 'target.csv'), path.join(dir, 'link.csv')];
    await writeFile(target, 'a,b\n');
    await symlink(target, link);
    expect(() => readLocalBytes(link, { sha256: false })).toThrow(/ELOOP/);
  });
});
