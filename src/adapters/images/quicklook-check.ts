import sharp from 'sharp';

/** What a quicklook must be; dimensions only when the pipeline configures them. */
export interface QuicklookExpectation {
  width?: number | undefined;
  height?: number | undefined;
}

export type QuicklookVerdict =
  | { ok: true; width: number; height: number }
  /** `reason` is one line for a person: what is wrong with the file. */
  | { ok: false; reason: string };

/**
 * Decodes a quicklook completely, the only way to notice a truncated JPEG (its header
 * alone looks fine), and checks its format and, when configured, its dimensions.
 */
export async function checkQuicklook(file: string, expected: QuicklookExpectation = {}): Promise<QuicklookVerdict> {
  try {
    const image = sharp(file, { failOn: 'truncated' });
    const meta = await image.metadata();
    if (meta.format !== 'jpeg') return { ok: false, reason: `not a JPEG (the content is ${meta.format})` };
    const { info } = await image.raw().toBuffer({ resolveWithObject: true });
    const wrong = [
      expected.width !== undefined && info.width !== expected.width ? `width ${info.width} px, expected ${expected.width}` : '',
      expected.height !== undefined && info.height !== expected.height ? `height ${info.height} px, expected ${expected.height}` : '',
    ].filter((s) => s !== '');
    if (wrong.length > 0) return { ok: false, reason: `wrong dimensions: ${wrong.join(', ')}` };
    return { ok: true, width: info.width, height: info.height };
  } catch (err) {
    // sharp reports undecodable content by throwing; that is the verdict, not a failure.
    return { ok: false, reason: `cannot be decoded: ${err instanceof Error ? err.message : String(err)}` };
  }
}
