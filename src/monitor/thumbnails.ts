import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { NocturneConfig } from '../config/types.js';
import { NocturneError } from '../core/errors.js';
import type { Db } from '../db/database.js';

/** Thumbnails are made at this width, whatever the source. */
const WIDTH = 240;
/** A quicklook larger than this is not read for a thumbnail. */
const MAX_SOURCE_BYTES = 32 * 1024 * 1024;
/** sharp refuses images with more pixels than this (a decompression bomb). */
const MAX_PIXELS = 40_000_000;
const CACHED = 256;

const cache = new Map<string, Buffer>();

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_SOURCE_BYTES) {
      stream.destroy();
      throw new NocturneError('QUICKLOOK_INVALID', `larger than ${MAX_SOURCE_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

type TransferRow = { kind: string; state: string; local_path: string; quarantine_path: string | null; target: string; remote_path: string };

/** The quicklook's bytes: the quarantined or local file, else the verified copy on the archive. */
async function sourceBytes(config: NocturneConfig, row: TransferRow): Promise<Buffer | null> {
  const local = row.state === 'quarantined' ? row.quarantine_path : row.local_path;
  if (local) {
    const bytes = await readFile(local).catch(() => null);
    if (bytes) return bytes.length > MAX_SOURCE_BYTES ? null : bytes;
  }
  const target = config.daemon.targets[row.target];
  if (!target || !['renamed', 'checked', 'deleted', 'kept'].includes(row.state)) return null;
  // The transfer adapters are loaded only when a thumbnail is asked for.
  const { createRemoteStore } = await import('../adapters/transfer/create-remote-store.js');
  const session = await createRemoteStore(row.target, target).open();
  try {
    return await collect(await session.read(row.remote_path));
  } finally {
    await session.close().catch(() => undefined);
  }
}

/**
 * A small JPEG made from a transfer's quicklook (or its thumbnail), or null when none can
 * be made. The browser never gets the original bytes: sharp decodes what it can of them
 * (a truncated file included, a pixel bomb refused) and encodes a new image.
 */
export async function thumbnailOf(config: NocturneConfig, db: Db, transferId: number): Promise<Buffer | null> {
  const row = await db.oneOrNone<TransferRow>(
    'SELECT kind, state, local_path, quarantine_path, target, remote_path FROM transfers WHERE id = $1',
    [transferId],
  );
  if (!row) return null;
  const key = `${transferId}/${row.state}`;
  if (cache.has(key)) return cache.get(key)!;
  let made: Buffer | null = null;
  try {
    const source = await sourceBytes(config, row);
    if (source) {
      const { default: sharp } = await import('sharp');
      made = await sharp(source, { failOn: 'none', limitInputPixels: MAX_PIXELS })
        .resize({ width: WIDTH, withoutEnlargement: true })
        .jpeg({ quality: 75 })
        .toBuffer();
    }
  } catch {
    // Nothing decodable, or the archive could not be read: the page says there is no thumbnail.
    made = null;
  }
  // Only what was made is kept: an archive that did not answer is asked again next time.
  if (made) {
    if (cache.size >= CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, made);
  }
  return made;
}
