import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { fileCallsByDirectory } from '../../adapters/files/file-calls.js';
import { sha256OfFile } from '../../adapters/transfer/local-source.js';
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
 * The local files of one run, each reached with the calls its file system calls for
 * (FileCalls: blocking ones on a local file system).
 */
export function createLocalFiles(callsFor = fileCallsByDirectory()): LocalFiles {
  return {
    async stat(path) {
      try {
        // lstat: a symlink in the outbox could point anywhere; it is not ours to upload.
        const info = await (await callsFor(path)).lstat(path);
        return info.isFile() ? { sizeBytes: info.size, mtimeMs: info.mtimeMs } : null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw coerceError(err, 'INTERNAL', `stat ${path}`);
      }
    },
    async remove(path) {
      try {
        await (await callsFor(path)).unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw coerceError(err, 'INTERNAL', `delete ${path}`);
      }
    },
    sha256,
  };
}

async function sha256(path: string): Promise<string> {
  try {
    // Opened as the upload's reads open it (OPEN_LISTED_FILE), in its recycled chunks.
    return await sha256OfFile(path);
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `sha256 of ${path}`);
  }
}

/** Hex SHA-256 of everything a stream yields. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
