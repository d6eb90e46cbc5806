import { existsSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  /** Puts the file where it would be quarantined and moves it there. */
  const quarantine = async (dir: string) => {
    const dest = await quarantinePathFor(dir, 'sdoss/ql.jpg', file, NOW);
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

  it('keeps an earlier quarantined file of the same name, this one stamped with the time', async () => {
    const dir = await tempDir(os.tmpdir());
    await mkdir(path.join(dir, 'sdoss'));
    await writeFile(path.join(dir, 'sdoss/ql.jpg'), 'earlier bytes');
    expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.20261206T010203456Z.jpg'));
    expect(await readFile(path.join(dir, 'sdoss/ql.jpg'), 'utf8')).toBe('earlier bytes');
  });

  it('only removes the outbox name of a file quarantined there already (a retry cut short)', async () => {
    const dir = await tempDir(os.tmpdir());
    await mkdir(path.join(dir, 'sdoss'));
    await link(file, path.join(dir, 'sdoss/ql.jpg'));
    expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.jpg'));
    expect(existsSync(file)).toBe(false);
    expect((await readdir(path.join(dir, 'sdoss'))).sort()).toEqual(['ql.jpg', 'ql.jpg.reason.txt']);
  });

  describe('to another file system', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await tempDir('/dev/shm');
      // Else this would test the rename, not the copy.
      expect(statSync(dir).dev).not.toBe(statSync(outbox).dev);
    });

    it('replaces the part of a copy cut short, and never names a part with the quarantine name', async () => {
      await mkdir(path.join(dir, 'sdoss'));
      await writeFile(path.join(dir, 'sdoss/ql.jpg.part'), 'bad');
      expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.jpg'));
      expect(existsSync(file)).toBe(false);
      expect((await readdir(path.join(dir, 'sdoss'))).sort()).toEqual(['ql.jpg', 'ql.jpg.reason.txt']);
      expect(await readFile(path.join(dir, 'sdoss/ql.jpg'), 'utf8')).toBe('bad bytes');
    });

    it('takes the same name again for a whole copy whose outbox file was not removed', async () => {
      await mkdir(path.join(dir, 'sdoss'));
      await copyFile(file, path.join(dir, 'sdoss/ql.jpg'));
      expect(await quarantine(dir)).toBe(path.join(dir, 'sdoss/ql.jpg'));
      expect(existsSync(file)).toBe(false);
      expect((await readdir(path.join(dir, 'sdoss'))).sort()).toEqual(['ql.jpg', 'ql.jpg.reason.txt']);
    });
  });
});
