import picomatch from 'picomatch';
import { coerceError } from '../../core/errors.js';
import { inBatches, STAT_BATCH } from '../../core/in-batches.js';
import { walkFiles, type PassedOver } from '../../adapters/files/walk-files.js';
import type { LocalFileInfo, LocalFiles } from './local-files.js';

export interface OutboxFile extends LocalFileInfo {
  /** Absolute path. */
  path: string;
  /** Path below the outbox, with "/" separators: kept below the remote directory. */
  relative: string;
}

export interface OutboxListing {
  files: OutboxFile[];
  /** Links, FIFOs, undecodable names...: never uploaded, and said so each run. */
  passedOver: PassedOver[];
}

/**
 * The files waiting in an outbox that match `include`. Names starting with "." are the
 * run stage's work in progress (temporary files and directories) and are left alone
 * without a word; symlinks, which could point anywhere, are not followed, and are
 * returned with the other entries that are not regular files. A missing outbox holds nothing.
 */
export async function listOutbox(outbox: string, include: readonly string[], files: LocalFiles): Promise<OutboxListing> {
  // A pattern without "/" matches the file name at any depth, as in .gitignore.
  const matches = picomatch([...include], { basename: true, dot: false });
  let walked;
  try {
    walked = await walkFiles(outbox, { skip: (relative) => relative.split('/').pop()!.startsWith('.') });
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `listing outbox ${outbox}`);
  }
  const wanted = walked.files.filter(({ relative }) => matches(relative));
  const infos = await inBatches(wanted, STAT_BATCH, (file) => files.stat(file.path));
  const found: OutboxFile[] = [];
  wanted.forEach((file, i) => {
    const info = infos[i];
    if (info) found.push({ ...file, ...info });
  });
  return { files: found, passedOver: walked.passedOver };
}
