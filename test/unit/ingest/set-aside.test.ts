import { existsSync, statSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setAside } from '../../../src/stages/ingest/common/set-aside.js';

describe('a rejected local file set aside', () => {
  let dir: string;
  let source: string;
  let aside: string;
  const request = (report: string) => ({
    file: path.join(source, 'a.csv'),
    relPath: 'a.csv',
    quarantineDir: path.join(dir, 'quarantine'),
    pipeline: 'eit',
    sha256: 'abcdef0123456789',
    report,
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-set-aside-'));
    source = path.join(dir, 'source');
    aside = path.join(dir, 'quarantine', 'eit');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'a.csv'), 'id\n1\n');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('leaves the source with its report beside it', async () => {
    expect(await setAside(request('bad id'))).toBe(path.join(aside, 'a.csv'));
    expect(await readdir(source)).toEqual([]);
    expect(await readFile(path.join(aside, 'a.csv.report.txt'), 'utf8')).toBe('bad id');
  });

  it('keeps an earlier rejected file of the same name, this one tagged with its hash', async () => {
    await mkdir(aside, { recursive: true });
    await writeFile(path.join(aside, 'a.csv'), 'id\n2\n');
    expect(await setAside(request('bad id'))).toBe(path.join(aside, 'a.abcdef012345.csv'));
    expect(await readFile(path.join(aside, 'a.csv'), 'utf8')).toBe('id\n2\n');
  });

  it('moves a file already set aside under its name (a retry cut short) to its tagged name, never removing it', async () => {
    // That retry asked again may remove the quarantine's name at any instant.
    await mkdir(aside, { recursive: true });
    await link(path.join(source, 'a.csv'), path.join(aside, 'a.csv'));
    expect(await setAside(request('rejected earlier (see the ledger)'))).toBe(path.join(aside, 'a.abcdef012345.csv'));
    expect(existsSync(path.join(source, 'a.csv'))).toBe(false);
    expect(await readFile(path.join(aside, 'a.abcdef012345.csv'), 'utf8')).toBe('id\n1\n');
  });

  it('sets a file aside on another file system whole, replacing the part of a copy cut short', async () => {
    const other = await mkdtemp('/dev/shm/nocturne-set-aside-');
    try {
      // Else this would test the rename, not the copy.
      expect(statSync(other).dev).not.toBe(statSync(source).dev);
      const there = path.join(other, 'eit');
      await mkdir(there, { recursive: true });
      await writeFile(path.join(there, 'a.csv.part'), 'id\n');
      expect(await setAside({ ...request('bad id'), quarantineDir: other })).toBe(path.join(there, 'a.csv'));
      expect(existsSync(path.join(source, 'a.csv'))).toBe(false);
      expect((await readdir(there)).sort()).toEqual(['a.csv', 'a.csv.report.txt']);
      expect(await readFile(path.join(there, 'a.csv'), 'utf8')).toBe('id\n1\n');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
