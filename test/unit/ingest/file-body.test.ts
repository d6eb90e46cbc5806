import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunksOf } from '../../../src/stages/ingest/common/file-body.js';

describe('chunksOf', () => {
  let dir: string;
  // Over two disk reads of 1 MiB, ending inside a chunk.
  const bytes = randomBytes(2 * 1024 * 1024 + 100_000);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-file-body-'));
    await writeFile(path.join(dir, 'big.csv'), bytes);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const collect = async (body: Parameters<typeof chunksOf>[0]) => {
    const chunks: Buffer[] = [];
    // Copied: a chunk read from disk is valid only until the next is asked for.
    for await (const chunk of chunksOf(body)) chunks.push(Buffer.from(chunk));
    return chunks;
  };

  it('gives a file on disk in chunks of at most 64 KiB, every byte once, in order', async () => {
    const chunks = await collect({ path: path.join(dir, 'big.csv') });
    expect(Math.max(...chunks.map((c) => c.length))).toBe(64 * 1024);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('gives a file in memory in the same chunks', async () => {
    const fromDisk = await collect({ path: path.join(dir, 'big.csv') });
    const inMemory = await collect({ bytes });
    expect(inMemory.map((c) => c.length)).toEqual(fromDisk.map((c) => c.length));
  });
});
