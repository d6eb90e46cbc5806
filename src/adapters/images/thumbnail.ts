import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { coerceError } from '../../core/errors.js';

/** JPEG quality of thumbnails: small files, artefacts invisible at this size. */
const THUMBNAIL_QUALITY = 80;

/**
 * Writes a `width`-pixel-wide JPEG of `source` to `dest` (height kept in proportion).
 * Written under a temporary name and renamed, so `dest` is never a half-written file.
 * Memory stays bounded: a source over `maxPixels` is refused before it is decoded, and
 * sharp shrinks a JPEG while loading it (libjpeg's DCT scaling, up to 1/8), so a large
 * quicklook is never held at full size.
 */
export async function writeThumbnail(source: string, dest: string, width: number, maxPixels: number): Promise<number> {
  await mkdir(path.dirname(dest), { recursive: true });
  const temporary = `${dest}.${process.pid}.tmp`;
  try {
    const info = await sharp(source, { failOn: 'truncated', limitInputPixels: maxPixels })
      .resize({ width, withoutEnlargement: true, fastShrinkOnLoad: true })
      .jpeg({ quality: THUMBNAIL_QUALITY })
      .toFile(temporary);
    await rename(temporary, dest);
    return info.size;
  } catch (err) {
    await rm(temporary, { force: true });
    throw coerceError(err, 'QUICKLOOK_INVALID', `thumbnail of ${source}`);
  }
}
