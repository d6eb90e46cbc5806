import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { RemoteStore } from '../adapters/transfer/remote-store.js';
import type { NocturneConfig, ResolvedTarget } from '../config/types.js';
import { NocturneError } from '../core/errors.js';
import { Permits } from '../core/permits.js';
import type { Db } from '../db/database.js';

/** Thumbnails are made at this width, whatever the source. */
const WIDTH = 240;
/** A quicklook larger than this is not read for a thumbnail. */
const MAX_SOURCE_BYTES = 32 * 1024 * 1024;
/** sharp refuses images with more pixels than this (a decompression bomb). */
const MAX_PIXELS = 40_000_000;
const CACHED = 256;
/**
 * Archive sessions the monitor holds at once, for all its thumbnails: one, well under any
 * target's `connections`, which the upload stages need (a browser must not take them).
 */
const ARCHIVE_SESSIONS = 1;
/** Thumbnails waiting for that session at most; past this, a request is told to come back. */
const ARCHIVE_WAITING = 8;
/** How long a thumbnail that could not be made is not tried again (nor its archive asked). */
export const FAILURE_KEPT_MS = 10 * 60_000;
/** Seconds a request told the archive is busy waits before it asks again (Retry-After). */
export const BUSY_RETRY_S = 5;

/** What a thumbnail request gets: the JPEG, none to be had, no quicklook by that id, or come back later. */
export type Thumbnail = { kind: 'made'; jpeg: Buffer } | { kind: 'none' } | { kind: 'no-quicklook' } | { kind: 'busy' };

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

/** A thumbnail the upload made, or a JPEG it sent (the quicklooks the upload checks, by the same test). */
function isQuicklook(row: TransferRow): boolean {
  return row.kind === 'thumbnail' || [row.local_path, row.remote_path].some((p) => /\.jpe?g$/i.test(p));
}

export interface ThumbnailDeps {
  /** @default createRemoteStore (the transfer adapters, loaded when a thumbnail first needs the archive) */
  openStore?: (name: string, target: ResolvedTarget) => Promise<RemoteStore>;
  /** @default Date.now */
  now?: () => number;
}

const BUSY = Symbol('archive busy');

/**
 * Small JPEGs made from quicklook transfers, for the monitor's pages. The browser never
 * gets the original bytes: sharp decodes what it can of them (a truncated file included,
 * a pixel bomb refused) and encodes a new image. Requests for one thumbnail share one
 * making; the archive is read over at most ARCHIVE_SESSIONS sessions; what could not be
 * made is remembered FAILURE_KEPT_MS, so that reloading a page does not ask again.
 */
export class Thumbnails {
  /** A made thumbnail, or the time until which its failure stands; by `id/state`. */
  readonly #kept = new Map<string, Buffer | number>();
  readonly #making = new Map<string, Promise<Buffer | null | typeof BUSY>>();
  readonly #sessions = new Permits(ARCHIVE_SESSIONS);
  /** Makings holding or waiting for an archive session. */
  #archiveQueue = 0;
  readonly #openStore: NonNullable<ThumbnailDeps['openStore']>;
  readonly #now: () => number;

  constructor(deps: ThumbnailDeps = {}) {
    this.#openStore =
      deps.openStore ??
      (async (name, target) => (await import('../adapters/transfer/create-remote-store.js')).createRemoteStore(name, target));
    this.#now = deps.now ?? Date.now;
  }

  async of(config: NocturneConfig, db: Db, transferId: number): Promise<Thumbnail> {
    const row = await db.oneOrNone<TransferRow>(
      'SELECT kind, state, local_path, quarantine_path, target, remote_path FROM transfers WHERE id = $1',
      [transferId],
    );
    // Only a quicklook has an image to show: another transfer (a CSV of up to the size limit) is never read.
    if (!row || !isQuicklook(row)) return { kind: 'no-quicklook' };
    const key = `${transferId}/${row.state}`;
    const kept = this.#kept.get(key);
    if (Buffer.isBuffer(kept)) return { kind: 'made', jpeg: kept };
    if (kept !== undefined && kept > this.#now()) return { kind: 'none' };
    let making = this.#making.get(key);
    if (!making) {
      making = this.#make(config, row).finally(() => this.#making.delete(key));
      this.#making.set(key, making);
    }
    const made = await making;
    if (made === BUSY) return { kind: 'busy' };
    // Every answer is kept, a failure for a while: the archive is not asked again at each reload.
    if (this.#kept.size >= CACHED && !this.#kept.has(key)) this.#kept.delete(this.#kept.keys().next().value!);
    this.#kept.set(key, made ?? this.#now() + FAILURE_KEPT_MS);
    return made ? { kind: 'made', jpeg: made } : { kind: 'none' };
  }

  async #make(config: NocturneConfig, row: TransferRow): Promise<Buffer | null | typeof BUSY> {
    try {
      const source = await this.#sourceBytes(config, row);
      if (source === BUSY || source === null) return source;
      const { default: sharp } = await import('sharp');
      return await sharp(source, { failOn: 'none', limitInputPixels: MAX_PIXELS })
        .resize({ width: WIDTH, withoutEnlargement: true })
        .jpeg({ quality: 75 })
        .toBuffer();
    } catch {
      // Nothing decodable, or the archive could not be read: the page says there is no thumbnail.
      return null;
    }
  }

  /** The quicklook's bytes: the quarantined or local file, else the verified copy on the archive. */
  async #sourceBytes(config: NocturneConfig, row: TransferRow): Promise<Buffer | null | typeof BUSY> {
    const local = row.state === 'quarantined' ? row.quarantine_path : row.local_path;
    if (local) {
      // The size first: a huge file named .jpg is not read into memory at every request.
      const size = await stat(local).then(
        (info) => info.size,
        () => null,
      );
      if (size !== null && size > MAX_SOURCE_BYTES) return null;
      const bytes = size === null ? null : await readFile(local).catch(() => null);
      if (bytes) return bytes.length > MAX_SOURCE_BYTES ? null : bytes;
    }
    const target = config.daemon.targets[row.target];
    if (!target || !['renamed', 'checked', 'deleted', 'kept'].includes(row.state)) return null;
    if (this.#archiveQueue >= ARCHIVE_SESSIONS + ARCHIVE_WAITING) return BUSY;
    this.#archiveQueue += 1;
    try {
      return await this.#sessions.with(async () => {
        const session = await (await this.#openStore(row.target, target)).open();
        try {
          return await collect(await session.read(row.remote_path));
        } finally {
          await session.close().catch(() => undefined);
        }
      });
    } finally {
      this.#archiveQueue -= 1;
    }
  }
}
