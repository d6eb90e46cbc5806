import { readdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { coerceError } from '../../core/errors.js';
import { inBatches, STAT_BATCH } from '../../core/in-batches.js';
import type { LocalFileInfo, LocalFiles } from './local-files.js';

export interface OutboxFile extends LocalFileInfo {
  /** Absolute path. */
  path: string;
  /** Path below the outbox, with "/" separators: kept below the remote directory. */
  relative: string;
}

/**
 * The files waiting in an outbox that match `include`. Names starting with "." are the
 * run stage's work in progress (temporary files and directories) and are left alone;
 * so are symlinks, which could point anywhere. A missing outbox holds nothing.
 */
export async function listOutbox(outbox: string, include: readonly string[], files: LocalFiles): Promise<OutboxFile[]> {
  // A pattern without "/" matches the file name at any depth, as in .gitignore.
  const matches = picomatch([...include], { basename: true, dot: false });
  let names: string[];
  try {
    names = await readdir(outbox, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw coerceError(err, 'INTERNAL', `listing outbox ${outbox}`);
  }
  const wanted = names
    .sort()
    .map((name) => ({ name, relative: name.split(path.sep).join('/') }))
    .filter(({ relative }) => !relative.split('/').some((part) => part.startsWith('.')) && matches(relative));
  const infos = await inBatches(wanted, STAT_BATCH, ({ name }) => files.stat(path.join(outbox, name)));
  const found: OutboxFile[] = [];
  wanted.forEach(({ name, relative }, i) => {
    const info = infos[i];
    if (info) found.push({ path: path.join(outbox, name), relative, ...info });
  });
  return found;
}
