// readJpegFrame reads a file's first 64 KiB at once: headers beyond them (a large EXIF or
// ICC segment, as some cameras and editors write) must still be walked, from the file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJpegFrame } from '../../../src/adapters/images/jpeg-frame.js';

/** An APPn segment (FFEn, 16-bit length counting itself) holding `bytes` bytes. */
function appSegment(n: number, bytes: number): Buffer {
  const segment = Buffer.alloc(4 + bytes, 0x41);
  segment.writeUInt16BE(0xffe0 + n, 0);
  segment.writeUInt16BE(2 + bytes, 2);
  return segment;
}

describe('readJpegFrame', () => {
  let dir: string;
  let jpeg: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nocturne-jpeg-frame-'));
    jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#345' } })
      .jpeg()
      .toBuffer();
  });
  afterAll(async () => rm(dir, { recursive: true }));

  const write = async (name: string, body: Buffer) => {
    const file = path.join(dir, name);
    await writeFile(file, body);
    return file;
  };

  it('finds the frame and the scan behind 120 KB of segments, past the first read', async () => {
    // SOI, then two 60,000-byte APP segments, then the rest of the JPEG as sharp wrote it.
    const big = Buffer.concat([jpeg.subarray(0, 2), appSegment(14, 60_000), appSegment(15, 60_000), jpeg.subarray(2)]);
    const frame = await readJpegFrame(await write('big-headers.jpg', big));
    const plain = await readJpegFrame(await write('plain.jpg', jpeg));
    expect(plain).toMatchObject({ width: 320, height: 240, arithmetic: false });
    expect(frame).toEqual(plain);
    // And libvips reads it too: the file is a valid JPEG.
    expect(await sharp(big).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
  });

  it('says incomplete for a file cut inside a segment beyond the first read', async () => {
    const cut = Buffer.concat([jpeg.subarray(0, 2), appSegment(14, 60_000), appSegment(15, 60_000)]).subarray(0, 100_000);
    expect(await readJpegFrame(await write('cut.jpg', cut))).toBe('incomplete');
  });

  it('says not a JPEG without the signature, an empty file included', async () => {
    expect(await readJpegFrame(await write('text.jpg', Buffer.from('date,x\n')))).toBe('not a JPEG');
    expect(await readJpegFrame(await write('empty.jpg', Buffer.alloc(0)))).toBe('not a JPEG');
  });
});
