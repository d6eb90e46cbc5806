import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from './sharp.js';
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
  try {
    return await thumbnailOf(source, dest, width, maxPixels, 'truncated');
  } catch (err) {
    throw coerceError(err, 'QUICKLOOK_INVALID', `thumbnail of ${source}`);
  }
}

/**
 * writeThumbnail's work, failing with sharp's own error when the image is at fault and
 * with a NocturneError when the file system is. With `failOn: 'warning'` it is also a
 * full check of the data: shrink-on-load still entropy-decodes every coefficient, so
 * libjpeg warns about corrupt data whatever the scale.
 */
export async function thumbnailOf(
  source: string,
  dest: string,
  width: number,
  maxPixels: number,
  failOn: 'truncated' | 'warning',
): Promise<number> {
  const temporary = `${dest}.${process.pid}.tmp`;
  await mkdir(path.dirname(dest), { recursive: true }).catch((err: unknown) => {
    throw coerceError(err, 'INTERNAL', `thumbnail directory of ${dest}`);
  });
  let size: number;
  try {
    ({ size } = await sharp(source, { failOn, limitInputPixels: maxPixels })
      .resize({ width, withoutEnlargement: true, fastShrinkOnLoad: true })
      .jpeg({ quality: THUMBNAIL_QUALITY })
      .toFile(temporary));
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  await rename(temporary, dest).catch((err: unknown) => {
    throw coerceError(err, 'INTERNAL', `thumbnail ${dest}`);
  });
  return size;
}
