import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecycledFileReader } from '../../../src/adapters/transfer/recycled-reader.js';

const CHUNK = 1024;
const BODY = randomBytes(40 * CHUNK + 17);
const SIZES = { chunkBytes: CHUNK, expectedBytes: BODY.length };
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-recycled-'));
  file = path.join(dir, 'body.bin');
  await writeFile(file, BODY);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * A sink that keeps each chunk it was given until it "has written" it, a little later,
 * and copies it only then: a buffer read into again too early shows as wrong bytes.
 */
function slowSink(highWaterMark: number): { sink: Writable; written: Buffer[]; memories: Set<ArrayBufferLike> } {
  const written: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      memories.add(chunk.buffer);
      setTimeout(() => {
        written.push(Buffer.from(chunk));
        done();
      }, 1);
    },
  });
  return { sink, written, memories };
}

describe('RecycledFileReader', () => {
  it.each([
    ['a sink that fills up (drain)', 1],
    ['a sink that takes it all without asking to wait', 1 << 30],
  ])('reads every byte in order into 3 buffers, reused only once %s wrote them', async (_what, highWaterMark) => {
    const handle = await open(file, 'r');
    try {
      const { sink, written, memories } = slowSink(highWaterMark);
      const seen: Buffer[] = [];
      const reader = new RecycledFileReader(
        handle,
        SIZES,
        () => sink,
        (chunk) => seen.push(Buffer.from(chunk)),
      );
      await pipeline(reader, sink);
      expect(Buffer.concat(written).equals(BODY)).toBe(true);
      expect(Buffer.concat(seen).equals(BODY)).toBe(true);
      expect(memories.size).toBe(3);
    } finally {
      await handle.close();
    }
  });

  it("a sink that fails: the failure is the sink's, the reader closes without an error of its own", async () => {
    const handle = await open(file, 'r');
    try {
      const sink = new Writable({ write: (_chunk, _encoding, done) => done(new Error('451 Failure writing to local file.')) });
      const reader = new RecycledFileReader(
        handle,
        SIZES,
        () => sink,
        () => {},
      );
      const errors: Error[] = [];
      reader.on('error', (err) => errors.push(err));
      await expect(pipeline(reader, sink)).rejects.toThrow(/451/);
      expect(errors).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('a file that cannot be read: the reader fails', async () => {
    const handle = await open(file, 'r');
    await handle.close();
    const { sink } = slowSink(1);
    await expect(
      pipeline(
        new RecycledFileReader(
          handle,
          SIZES,
          () => sink,
          () => {},
        ),
        sink,
      ),
    ).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('recycled buffers serve the next reader, which still reads every byte', async () => {
    const handle = await open(file, 'r');
    try {
      const first = slowSink(1);
      const reader = new RecycledFileReader(
        handle,
        SIZES,
        () => first.sink,
        () => {},
      );
      await pipeline(reader, first.sink);
      reader.recycle();
      const second = slowSink(1);
      await pipeline(
        new RecycledFileReader(
          handle,
          SIZES,
          () => second.sink,
          () => {},
        ),
        second.sink,
      );
      expect(Buffer.concat(second.written).equals(BODY)).toBe(true);
      expect([...second.memories].filter((m) => first.memories.has(m))).toHaveLength(3);
    } finally {
      await handle.close();
    }
  });

  it('without a sink to ask, reads into fresh buffers', async () => {
    const handle = await open(file, 'r');
    try {
      const { sink, written, memories } = slowSink(1);
      await pipeline(
        new RecycledFileReader(
          handle,
          SIZES,
          () => undefined,
          () => {},
        ),
        sink,
      );
      expect(Buffer.concat(written).equals(BODY)).toBe(true);
      expect(memories.size).toBe(41);
    } finally {
      await handle.close();
    }
  });
});
