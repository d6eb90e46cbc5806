import sharp from './sharp.js';
import { NocturneError } from '../../core/errors.js';
import { minimumDataBytes, readJpegFrame } from './jpeg-frame.js';
import { thumbnailOf } from './thumbnail.js';

/** What a quicklook must be. */
export interface QuicklookExpectation {
  /** Largest width × height accepted, read from the header before anything is decoded. */
  maxPixels: number;
  /**
   * Decode the image data too (to notice a truncated or inflated JPEG, whose header looks
   * fine) and compare the dimensions; false: the header alone (format, pixel limit).
   */
  decode: boolean;
  width?: number | undefined;
  height?: number | undefined;
  /**
   * With `decode`: the decode also writes this thumbnail (one decode for both; a JPEG
   * that fails leaves none). Without `decode` it is ignored.
   */
  thumbnail?: { dest: string; width: number } | undefined;
}

export type QuicklookVerdict =
  | { ok: true; width: number; height: number }
  /** `reason` is one line for a person: what is wrong with the file. */
  | { ok: false; reason: string };

/**
 * Checks a quicklook with bounded memory. The header gives format and dimensions; a JPEG
 * claiming more than `maxPixels` is refused without being decoded (a 265-byte file can
 * claim 16000 × 16000 px, 768 MB decoded), and so is one whose data is too short to
 * fill what its header claims (libjpeg would fill the rest with grey). The data is then
 * decoded at 1/8 scale (JPEG shrink-on-load: every coefficient is still read, one pixel
 * per 8 × 8 block is made), or at the scale of the thumbnail asked for, which it writes,
 * failing on libjpeg's warnings about corrupt data.
 */
export async function checkQuicklook(file: string, expected: QuicklookExpectation): Promise<QuicklookVerdict> {
  try {
    // A JPEG's own headers give its size without asking libvips; what they do not show
    // (another format, headers cut short) libvips names, in its own words.
    const frame = await readJpegFrame(file);
    const header = typeof frame === 'string' ? await headerOf(file) : frame;
    if ('reason' in header) return { ok: false, reason: header.reason };
    const { width, height } = header;
    const claimed = `${width} × ${height} px`;
    if (width * height > expected.maxPixels) {
      return { ok: false, reason: `header claims ${claimed}, more than quicklooks.maxPixels (${expected.maxPixels}): not decoded` };
    }
    if (!expected.decode) return { ok: true, width, height };
    const needed = typeof frame === 'string' || frame.arithmetic ? 0 : minimumDataBytes(frame.width, frame.height);
    if (typeof frame !== 'string' && frame.dataBytes < needed) {
      return {
        ok: false,
        reason: `image data shorter than its header claims: ${frame.dataBytes} bytes for ${claimed}, which need at least ${needed}: not decoded`,
      };
    }
    const wrong = [
      expected.width !== undefined && width !== expected.width ? `width ${width} px, expected ${expected.width}` : '',
      expected.height !== undefined && height !== expected.height ? `height ${height} px, expected ${expected.height}` : '',
    ].filter((s) => s !== '');
    if (wrong.length > 0) return { ok: false, reason: `wrong dimensions: ${wrong.join(', ')}` };
    if (expected.thumbnail) {
      await thumbnailOf(file, expected.thumbnail.dest, expected.thumbnail.width, expected.maxPixels, 'warning');
    } else {
      await sharp(file, { failOn: 'warning', limitInputPixels: expected.maxPixels })
        .resize({ width: Math.ceil(width / 8), height: Math.ceil(height / 8), fit: 'fill', fastShrinkOnLoad: true })
        .raw()
        .toBuffer();
    }
    return { ok: true, width, height };
  } catch (err) {
    // The thumbnail's file system failing is not the JPEG's fault.
    if (err instanceof NocturneError) throw err;
    // sharp reports unreadable content by throwing; that is the verdict, not a failure.
    return { ok: false, reason: `cannot be decoded: ${await whyUndecodable(file, err)}` };
  }
}

/** What libvips reads of a file's header: its size, or why it is no quicklook (throws when it cannot read it at all). */
async function headerOf(file: string): Promise<{ width: number; height: number } | { reason: string }> {
  const meta = await sharp(file, { limitInputPixels: false }).metadata();
  return meta.format === 'jpeg' ? meta : { reason: `not a JPEG (the content is ${meta.format})` };
}

/**
 * libvips keeps one error buffer for all threads: with decodes in parallel its words may
 * be cut short or carry another file's. The reason therefore leads with what the file
 * itself shows when its structure tells, and quotes libvips after it.
 */
async function whyUndecodable(file: string, err: unknown): Promise<string> {
  const said = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').replace(/[\s:]+$/, '');
  const frame = await readJpegFrame(file).catch(() => null);
  return frame === 'incomplete' ? `the JPEG breaks off before its image data (libvips: ${said})` : said;
}
