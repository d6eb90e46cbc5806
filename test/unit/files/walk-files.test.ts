import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkFiles } from '../../../src/adapters/files/walk-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-walk-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('walkFiles', () => {
  it('takes regular files at any depth, sorted; passes over links, FIFOs and names that are not UTF-8, saying why', async () => {
    const root = path.join(dir, 'tree');
    const outside = path.join(dir, 'outside');
    await mkdir(path.join(root, 'b/c'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, 'far.csv'), 'x');
    await writeFile(path.join(root, 'z.csv'), 'x');
    await writeFile(path.join(root, 'b/c/a.csv'), 'x');
    await writeFile(path.join(root, 'b/é.csv'), 'x');
    await symlink(outside, path.join(root, 'linkdir'));
    await symlink(path.join(outside, 'far.csv'), path.join(root, 'link.csv'));
    await symlink(root, path.join(root, 'b/loop'));
    execFileSync('mkfifo', [path.join(root, 'fifo.csv')]);
    await writeFile(Buffer.from(`${root}/caf\xe9.csv`, 'latin1'), 'x');

    const walk = await walkFiles(root);
    expect(walk.files).toEqual(['b/c/a.csv', 'b/é.csv', 'z.csv'].map((relative) => ({ path: path.join(root, relative), relative })));
    const why = Object.fromEntries(walk.passedOver.map((p) => [p.relative, p.why]));
    expect(why).toEqual({
      linkdir: expect.stringMatching(/^a symbolic link, not followed/),
      'link.csv': expect.stringMatching(/^a symbolic link, not followed/),
      'b/loop': expect.stringMatching(/^a symbolic link, not followed/),
      'fifo.csv': 'a FIFO, not a regular file',
      'caf\uFFFD.csv': expect.stringMatching(/^its name is not valid UTF-8/),
    });
    expect(walk.passedOver.every((p) => !p.isDirectory)).toBe(true);
  });

  it('leaves out what `skip` names, without a word, and a missing root holds nothing', async () => {
    const root = path.join(dir, 'skipping');
    await mkdir(path.join(root, '.work'), { recursive: true });
    await writeFile(path.join(root, '.work/x.csv'), 'x');
    await writeFile(path.join(root, '.tmp.csv'), 'x');
    await writeFile(path.join(root, 'y.csv'), 'x');
    const walk = await walkFiles(root, { skip: (relative) => path.basename(relative).startsWith('.') });
    expect(walk).toEqual({ files: [{ path: path.join(root, 'y.csv'), relative: 'y.csv' }], passedOver: [] });
    expect(await walkFiles(path.join(dir, 'absent'))).toEqual({ files: [], passedOver: [] });
  });
});
