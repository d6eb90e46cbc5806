import { open } from 'node:fs/promises';

/** What a JPEG's headers say, read without decoding anything. */
export interface JpegFrame {
  width: number;
  height: number;
  /** Arithmetic coding (SOF9..SOF15) can code a block in less than a bit. */
  arithmetic: boolean;
  /** Bytes from the first scan's data to the end of the file: all the image data there is. */
  dataBytes: number;
}

// Markers without a length: TEM, RST0..7, SOI.
const STANDALONE = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8]);
const SOS = 0xda;
const EOI = 0xd9;

/** SOF0..SOF15 without DHT (C4), JPG (C8) and DAC (CC). */
function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Bytes read at once from a file's start: the headers of a quicklook (EXIF and ICC included) fit in them. */
const HEAD_BYTES = 64 * 1024;

/**
 * Walks the segments of a JPEG up to its first scan (segments are skipped by their
 * length; one read of the file's start, and more only for headers beyond it). 'not a
 * JPEG' without the JPEG signature; 'incomplete' when the file ends, or its segments
 * break off, before a frame and a scan header.
 */
export async function readJpegFrame(file: string): Promise<JpegFrame | 'not a JPEG' | 'incomplete'> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const start = Buffer.allocUnsafe(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await handle.read(start, 0, start.length, 0);
    const head = Buffer.alloc(10);
    // `length` bytes at `at` into `head`, from the start read or else from the file.
    const read = async (at: number, length: number) => {
      if (at + length <= bytesRead) return start.copy(head, 0, at, at + length) === length;
      return (await handle.read(head, 0, length, at)).bytesRead === length;
    };
    if (!(await read(0, 2)) || head[0] !== 0xff || head[1] !== 0xd8) return 'not a JPEG';
    let frame: Omit<JpegFrame, 'dataBytes'> | null = null;
    for (let at = 2; await read(at, 4);) {
      if (head.readUInt8(0) !== 0xff) return 'incomplete';
      const marker = head.readUInt8(1);
      if (marker === 0xff) {
        at += 1; // fill byte
        continue;
      }
      if (STANDALONE.has(marker)) {
        at += 2;
        continue;
      }
      if (marker === EOI) return 'incomplete';
      const length = head.readUInt16BE(2);
      if (marker === SOS) return frame ? { ...frame, dataBytes: Math.max(0, size - (at + 2 + length)) } : 'incomplete';
      if (isFrameMarker(marker)) {
        // precision (1 byte), height, width (16 bits each)
        if (!(await read(at + 4, 5))) return 'incomplete';
        frame = { height: head.readUInt16BE(1), width: head.readUInt16BE(3), arithmetic: marker >= 0xc9 };
      }
      at += 2 + length;
    }
    return 'incomplete';
  } finally {
    await handle.close();
  }
}

/**
 * The fewest bytes of Huffman-coded data that can fill `width` × `height`: every 8 × 8
 * block of the first component costs at least one bit (its DC code); a baseline block
 * two (DC and end of block). Data shorter than this cannot be complete.
 */
export function minimumDataBytes(width: number, height: number): number {
  return Math.ceil((Math.ceil(width / 8) * Math.ceil(height / 8)) / 8);
}
