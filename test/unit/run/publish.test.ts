import { link, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishOutputs } from '../../../src/stages/run/publish.js';

const root = await mkdtemp(path.join(os.tmpdir(), 'nocturne-publish-'));
afterAll(() => rm(root, { recursive: true, force: true }));

let from: string;
let outbox: string;
beforeEach(async () => {
  const dir = await mkdtemp(path.join(root, 'case-'));
  from = path.join(dir, 'out');
  outbox = path.join(dir, 'outbox');
  await mkdir(from);
  await mkdir(outbox);
  await writeFile(path.join(from, 'a.jpg'), 'jpeg');
  await writeFile(path.join(from, 'a_init.csv'), 'OBS\na\n');
});

const names = ['a.jpg', 'a_init.csv'];
/** mayReplace: the outbox's files are another observation's. */
const never = async () => false;
/** mayReplace: the outbox's files are this observation's earlier outputs (the code run again). */
const always = async () => true;

describe('publishing a task’s outputs into the outbox', () => {
  it('moves them, and moving them again (a run killed after the move) finds them moved', async () => {
    expect(await publishOutputs(from, outbox, names, never)).toBeNull();
    expect(await readdir(from)).toEqual([]);
    expect((await readdir(outbox)).sort()).toEqual(names);
    expect(await publishOutputs(from, outbox, names, never)).toBeNull();
    expect(await readFile(path.join(outbox, 'a_init.csv'), 'utf8')).toBe('OBS\na\n');
  });

  it('finishes a move cut short between the link into the outbox and the removal of the old name', async () => {
    await link(path.join(from, 'a.jpg'), path.join(outbox, 'a.jpg'));
    expect(await publishOutputs(from, outbox, names, never)).toBeNull();
    expect(await readdir(from)).toEqual([]);
    expect((await readdir(outbox)).sort()).toEqual(names);
  });

  it('takes the same bytes under the same name for the same output: a metadata file every observation writes alike', async () => {
    await writeFile(path.join(outbox, 'a_init.csv'), 'OBS\na\n');
    expect(await publishOutputs(from, outbox, names, never)).toBeNull();
    expect(await readdir(from)).toEqual([]);
    expect((await readdir(outbox)).sort()).toEqual(names);
  });

  it('replaces an earlier output of the same observation (the code run again) when mayReplace says so', async () => {
    await writeFile(path.join(outbox, 'a_init.csv'), 'OBS\nold\n');
    expect(await publishOutputs(from, outbox, names, always)).toBeNull();
    expect(await readFile(path.join(outbox, 'a_init.csv'), 'utf8')).toBe('OBS\na\n');
    expect(await readdir(from)).toEqual([]);
  });

  it("never replaces another observation's file of the outbox: it names the output and publishes nothing of the task", async () => {
    await writeFile(path.join(outbox, 'a_init.csv'), 'OBS\nb\n');
    expect(await publishOutputs(from, outbox, names, never)).toBe('a_init.csv');
    expect(await readFile(path.join(outbox, 'a_init.csv'), 'utf8')).toBe('OBS\nb\n');
    expect(await readdir(outbox)).toEqual(['a_init.csv']);
    expect((await readdir(from)).sort()).toEqual(names);
  });
});

describe('publishing across filesystems (/dev/shm)', () => {
  let shm: string;
  beforeEach(async () => {
    shm = await mkdtemp('/dev/shm/nocturne-publish-');
    outbox = path.join(shm, 'outbox');
  });
  afterEach(() => rm(shm, { recursive: true, force: true }));

  it('copies, then links into place, and leaves no journal behind', async () => {
    expect(await publishOutputs(from, outbox, names, never)).toBeNull();
    expect(await readdir(from)).toEqual([]);
    expect((await readdir(outbox)).sort()).toEqual(names);
  });

  it('replaces an earlier output of the same observation across filesystems too, leaving no journal', async () => {
    await mkdir(outbox);
    await writeFile(path.join(outbox, 'a.jpg'), 'older jpeg');
    expect(await publishOutputs(from, outbox, names, always)).toBeNull();
    expect(await readFile(path.join(outbox, 'a.jpg'), 'utf8')).toBe('jpeg');
    expect((await readdir(outbox)).sort()).toEqual(names);
    expect(await readdir(from)).toEqual([]);
  });

  it("never replaces another observation's file of the outbox, and leaves the output where it was", async () => {
    await mkdir(outbox);
    await writeFile(path.join(outbox, 'a.jpg'), 'other');
    expect(await publishOutputs(from, outbox, names, never)).toBe('a.jpg');
    expect(await readFile(path.join(outbox, 'a.jpg'), 'utf8')).toBe('other');
    expect((await readdir(from)).sort()).toEqual(names);
  });

  it('resuming a copy cut short, puts the output back under its name when the outbox has another file of that name', async () => {
    await mkdir(outbox);
    await rename(path.join(from, 'a.jpg'), path.join(from, '.a.jpg.published'));
    await writeFile(path.join(outbox, '.a.jpg.publishing'), 'jpeg');
    await writeFile(path.join(outbox, 'a.jpg'), 'other');
    expect(await publishOutputs(from, outbox, names, never)).toBe('a.jpg');
    expect(await readFile(path.join(outbox, 'a.jpg'), 'utf8')).toBe('other');
    expect(await readdir(outbox)).toEqual(['a.jpg']);
    expect((await readdir(from)).sort()).toEqual(names);
  });
});
