import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockingCalls, threadPoolCalls } from '../../../src/adapters/files/file-calls.js';
import { createLocalFiles } from '../../../src/stages/upload/local-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-local-files-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.each([
  ['blocking calls', blockingCalls],
  ['thread-pool calls', threadPoolCalls],
])('createLocalFiles with %s', (kind, calls) => {
  const files = createLocalFiles(() => Promise.resolve(calls));
  const file = (name: string) => path.join(dir, `${kind}-${name}`);

  it('stats a regular file; a link, a directory or nothing is no file to upload', async () => {
    await writeFile(file('a.csv'), 'a,b\n');
    await symlink(file('a.csv'), file('link.csv'));
    expect(await files.stat(file('a.csv'))).toMatchObject({ sizeBytes: 4 });
    expect(await files.stat(file('link.csv'))).toBeNull();
    expect(await files.stat(dir)).toBeNull();
    expect(await files.stat(file('absent.csv'))).toBeNull();
  });

  it('removes a file; one already gone is fine, one that cannot be removed fails naming it', async () => {
    await writeFile(file('b.csv'), 'x');
    await files.remove(file('b.csv'));
    expect(await files.stat(file('b.csv'))).toBeNull();
    await files.remove(file('b.csv'));
    await expect(files.remove(dir)).rejects.toThrow(`delete ${dir}`);
  });

  it("reaches each file with the calls its directory's file system gets", async () => {
    const asked: string[] = [];
    const made: string[] = [];
    const counted = {
      ...calls,
      lstat: (at: string) => (made.push('lstat'), calls.lstat(at)),
      unlink: (at: string) => (made.push('unlink'), calls.unlink(at)),
    };
    const spied = createLocalFiles((at) => (asked.push(at), Promise.resolve(counted)));
    await writeFile(file('c.csv'), 'x');
    await spied.stat(file('c.csv'));
    await spied.remove(file('c.csv'));
    expect(asked).toEqual([file('c.csv'), file('c.csv')]);
    expect(made).toEqual(['lstat', 'unlink']);
  });
});
