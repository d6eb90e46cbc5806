import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockingCalls, threadPoolCalls, type FileCalls } from '../../../src/adapters/files/file-calls.js';
import { openLocalSource, readLocalBytes } from '../../../src/adapters/transfer/local-source.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-local-source-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.each([
  ['blocking calls', blockingCalls],
  ['thread-pool calls', threadPoolCalls],
])('readLocalBytes with %s', (kind, calls) => {
  const file = (name: string) => path.join(dir, `${kind}-${name}`);
  const read = (at: string, sha256 = false) => readLocalBytes(at, { sha256, calls });

  it('reads a file under 1 MiB whole, with its SHA-256 when asked', async () => {
    const body = randomBytes(200_000);
    await writeFile(file('small.bin'), body);
    const bytes = await read(file('small.bin'), true);
    expect(bytes?.bytes.equals(body)).toBe(true);
    expect(bytes?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect((await read(file('small.bin')))?.sha256).toBeNull();
  });

  it('leaves a file of 1 MiB or more to be streamed', async () => {
    await writeFile(file('big.bin'), Buffer.alloc(1024 * 1024));
    expect(await read(file('big.bin'))).toBeNull();
  });

  it('refuses a file that reads longer than its size when opened', async () => {
    // A /proc file says 0 bytes and reads more: as a file written to meanwhile.
    await expect(read('/proc/self/status')).rejects.toThrow(
      /local file \/proc\/self\/status changed while it was read: 0 bytes when opened, 1 read/,
    );
  });

  it('hands its buffer on only when recycled: two files read in turn keep their own bytes', async () => {
    const [a, b] = [randomBytes(1000), randomBytes(1000)];
    await writeFile(file('a.bin'), a);
    await writeFile(file('b.bin'), b);
    const first = (await read(file('a.bin')))!;
    const second = (await read(file('b.bin')))!;
    expect(first.bytes.equals(a) && second.bytes.equals(b)).toBe(true);
    first.recycle();
    const third = (await read(file('b.bin')))!;
    // Compared as a boolean: a failed toBe on two 1 MiB buffers makes vitest diff them for minutes.
    expect(third.bytes.buffer === first.bytes.buffer).toBe(true);
    expect(second.bytes.equals(b)).toBe(true);
  });

  it('refuses a symbolic link put in place of a file (the outbox listing skips links)', async () => {
    await writeFile(file('target.csv'), 'a,b\n');
    await symlink(file('target.csv'), file('link.csv'));
    await expect(read(file('link.csv'))).rejects.toThrow(/ELOOP/);
  });

  it('makes its calls with the calls it is given', async () => {
    const made: string[] = [];
    const counted: FileCalls = {
      ...calls,
      open: (at, flags) => (made.push('open'), calls.open(at, flags)),
      fstat: (fd) => (made.push('fstat'), calls.fstat(fd)),
      read: (...args) => (made.push('read'), calls.read(...args)),
      close: (fd) => (made.push('close'), calls.close(fd)),
    };
    await writeFile(file('c.bin'), 'abc');
    expect((await readLocalBytes(file('c.bin'), { sha256: false, calls: counted }))?.bytes.toString()).toBe('abc');
    expect(made).toEqual(['open', 'fstat', 'read', 'read', 'close']);
  });
});

// Opened for reading, a FIFO waits for a writer. Tried with the thread pool's calls: with
// blocking ones, a missing O_NONBLOCK would hang the test run rather than fail this test.
describe('a FIFO put in place of a file', () => {
  it('is refused by readLocalBytes and openLocalSource, without waiting for a writer', async () => {
    const fifo = path.join(dir, 'fifo.csv');
    execFileSync('mkfifo', [fifo]);
    await expect(readLocalBytes(fifo, { sha256: false, calls: threadPoolCalls })).rejects.toThrow(
      `local file ${fifo} is not a regular file`,
    );
    await expect(openLocalSource(fifo, { sha256: false })).rejects.toThrow(`local file ${fifo} is not a regular file`);
  });
});
