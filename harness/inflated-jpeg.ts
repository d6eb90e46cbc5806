// A hostile quicklook for tests: a real, tiny JPEG whose frame header (SOF) is rewritten
// to claim `width` × `height` pixels. Its image data ends at once, so libjpeg would fill
// the claimed area with grey: 16000 × 16000 makes a 265-byte file that costs 768 MB when
// decoded in full. Reusable by any suite (the fault suite's bad inputs).
import sharp from 'sharp';

/** SOF0..SOF2 (baseline, extended, progressive): the markers that carry the dimensions. */
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2]);

export async function inflatedJpeg(width: number, height: number): Promise<Buffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new RangeError(`a JPEG header holds 1 to 65535 px per side, not ${width} × ${height}`);
  }
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .jpeg({ quality: 50 })
    .toBuffer();
  // After SOI (FFD8), segments are FF <marker> <16-bit length> <payload>; SOF's payload
  // starts with the sample precision (1 byte), then height and width (16 bits each).
  for (let at = 2; at + 9 <= jpeg.length; at += 2 + jpeg.readUInt16BE(at + 2)) {
    if (jpeg[at] !== 0xff) break;
    if (SOF_MARKERS.has(jpeg[at + 1]!)) {
      jpeg.writeUInt16BE(height, at + 5);
      jpeg.writeUInt16BE(width, at + 7);
      return jpeg;
    }
  }
  throw new Error('sharp wrote a JPEG without a frame header');
}
