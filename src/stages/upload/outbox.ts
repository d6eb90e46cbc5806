import { readdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { coerceError } from '../../core/errors.js';
import type { LocalFileInfo, LocalFiles } from './local-files.js';

const STAT_BATCH = 64;

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
  const found: OutboxFile[] = [];
  // Stat in batches: thousands of files a night, one at a time would take seconds.
  for (let i = 0; i < wanted.length; i += STAT_BATCH) {
    const batch = wanted.slice(i, i + STAT_BATCH);
    const infos = await Promise.all(batch.map(({ name }) => files.stat(path.join(outbox, name))));
    batch.forEach(({ name, relative }, j) => {
      const info = infos[j];
      if (info) found.push({ path: path.join(outbox, name), relative, ...info });
    });
  }
  return found;
}
