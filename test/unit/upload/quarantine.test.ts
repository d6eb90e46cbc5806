import { existsSync, statSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { moveToQuarantine, quarantinePathFor } from '../../../src/stages/upload/quarantine.js';

const NOW = new Date('2026-12-06T01:02:03.456Z');

describe('a bad quicklook moved to the quarantine', () => {
  let outbox: string;
  let file: string;
  const dirs: string[] = [];
  const tempDir = async (root: string) => {
    const dir = await mkdtemp(path.join(root, 'nocturne-quarantine-'));
    dirs.push(dir);
    return dir;
  };
  const quarantine = async (dir: string) => {
    const dest = await quarantinePathFor(dir, 'sdoss/ql.jpg', NOW);
    await moveToQuarantine(file, dest, 'too small', NOW);
    return dest;
  };
  beforeEach(async () => {
    outbox = await tempDir(os.tmpdir());
    file = path.join(outbox, 'ql.jpg');
    await writeFile(file, 'bad bytes');
  });
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('moves it with its reason beside it', async () => {
    const dir = await tempDir(os.tmpdir());
    expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.jpg'));
    expect(existsSync(file)).toBe(false);
    expect(await readFile(path.join(dir, 'sdoss/ql.jpg.reason.txt'), 'utf8')).toContain('reason: too small');
  });

  it('keeps a file of the same name there, even the same file, this one stamped with the time', async () => {
    // The same file: a retry cut short between its link to the outbox and its unlink. Its
    // quarantine name may be removed by that retry asked again at any instant, so the
    // outbox's name is moved, never removed.
    const dir = await tempDir(os.tmpdir());
    await mkdir(path.join(dir, 'sdoss'));
    await link(file, path.join(dir, 'sdoss/ql.jpg'));
    expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.20261206T010203456Z.jpg'));
    expect(existsSync(file)).toBe(false);
    expect(await readFile(path.join(dir, 'sdoss/ql.20261206T010203456Z.jpg'), 'utf8')).toBe('bad bytes');
  });

  it('on another file system: copied whole over the part a copy cut short left, with its modification time', async () => {
    const dir = await tempDir('/dev/shm');
    // Else this would test the rename, not the copy.
    expect(statSync(dir).dev).not.toBe(statSync(outbox).dev);
    const mtime = new Date('2026-12-05T22:00:00Z');
    await utimes(file, mtime, mtime);
    await mkdir(path.join(dir, 'sdoss'));
    await writeFile(path.join(dir, 'sdoss/ql.jpg.part'), 'bad');
    expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.jpg'));
    expect(existsSync(file)).toBe(false);
    expect((await readdir(path.join(dir, 'sdoss'))).sort()).toEqual(['ql.jpg', 'ql.jpg.reason.txt']);
    expect(await readFile(path.join(dir, 'sdoss/ql.jpg'), 'utf8')).toBe('bad bytes');
    // The retry's "not replaced since it was quarantined" compares it.
    expect(statSync(path.join(dir, 'sdoss/ql.jpg')).mtimeMs).toBe(mtime.getTime());
  });
});
