import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, unlinkSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { coerceError } from '../../core/errors.js';

export interface LocalFileInfo {
  sizeBytes: number;
  mtimeMs: number;
}

/** The local file system as the upload state machine sees it. */
export interface LocalFiles {
  /** null when there is no regular file at `path` (absent, or a symlink/directory). */
  stat(path: string): Promise<LocalFileInfo | null>;
  /** Removes the file; an already absent file is fine. */
  remove(path: string): Promise<void>;
  sha256(path: string): Promise<string>;
}

/**
 * stat and remove make blocking calls, for the reason readLocalBytes gives: a round trip
 * to libuv's thread pool costs more than an lstat or an unlink on a local disk.
 */
export const nodeLocalFiles: LocalFiles = {
  async stat(path) {
    try {
      // lstat: a symlink in the outbox could point anywhere; it is not ours to upload.
      const info = lstatSync(path);
      return info.isFile() ? { sizeBytes: info.size, mtimeMs: info.mtimeMs } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw coerceError(err, 'INTERNAL', `stat ${path}`);
    }
  },
  async remove(path) {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw coerceError(err, 'INTERNAL', `delete ${path}`);
    }
  },
  async sha256(path) {
    try {
      return await sha256Of(createReadStream(path));
    } catch (err) {
      throw coerceError(err, 'INTERNAL', `sha256 of ${path}`);
    }
  },
};

/** Hex SHA-256 of everything a stream yields. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
