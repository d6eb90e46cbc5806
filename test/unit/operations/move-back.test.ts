import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { moveBack } from '../../../src/operations/retry-apply.js';

describe("a retried file's move back from the quarantine", () => {
  let dir: string;
  let quarantined: string;
  let outbox: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-move-back-'));
    quarantined = path.join(dir, 'quarantine', 'ql.jpg');
    outbox = path.join(dir, 'outbox', 'sdoss', 'ql.jpg');
    await writeFile(path.join(dir, 'ql.jpg'), 'good');
    await mkdir(path.dirname(quarantined), { recursive: true });
    await link(path.join(dir, 'ql.jpg'), quarantined);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('moves the file and its reason note', async () => {
    await writeFile(`${quarantined}.reason.txt`, 'too small');
    await moveBack(quarantined, outbox);
    expect(await readFile(outbox, 'utf8')).toBe('good');
    expect(existsSync(quarantined)).toBe(false);
    expect(existsSync(`${quarantined}.reason.txt`)).toBe(false);
  });

  it('finishes a move cut short between its link and its unlink', async () => {
    // What a kill right after the link leaves: the file under both names.
    await mkdir(path.dirname(outbox), { recursive: true });
    await link(quarantined, outbox);
    await moveBack(quarantined, outbox);
    expect(await readFile(outbox, 'utf8')).toBe('good');
    expect(existsSync(quarantined)).toBe(false);
  });

  it('removes the hidden copy a move across file systems left when it was cut short', async () => {
    // Copied under the hidden name and linked into place, then killed before the unlink.
    const hidden = path.join(path.dirname(outbox), '.ql.jpg.retrying');
    await mkdir(path.dirname(outbox), { recursive: true });
    await writeFile(hidden, 'good');
    await link(hidden, outbox);
    await moveBack(quarantined, outbox);
    expect(await readFile(outbox, 'utf8')).toBe('good');
    expect(existsSync(hidden)).toBe(false);
    expect(existsSync(quarantined)).toBe(false);
  });

  it('never replaces another file at the outbox path', async () => {
    await mkdir(path.dirname(outbox), { recursive: true });
    await writeFile(outbox, 'other');
    await expect(moveBack(quarantined, outbox)).rejects.toThrow(/moving .*ql\.jpg back to .*EEXIST/s);
    expect(await readFile(outbox, 'utf8')).toBe('other');
    expect(existsSync(quarantined)).toBe(true);
  });
});
