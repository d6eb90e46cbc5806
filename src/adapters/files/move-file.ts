import { copyFile, open, rename, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { sha256OfFile } from '../transfer/local-source.js';

/**
 * Moves `from` to `to` (replacing a file there): one rename, or, across file systems, a
 * copy under `<to>.part`, synced and renamed into place before the source is removed.
 * `to` never holds part of a file, and holds all of it, on disk, before the source goes.
 * The copy keeps the source's modification time, which the stages compare.
 */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  const part = `${to}.part`;
  const source = await stat(from);
  await copyFile(from, part);
  await utimes(part, source.atime, source.mtime);
  await synced(part);
  await rename(part, to);
  await synced(path.dirname(to));
  await unlink(from);
}

async function synced(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Whether two paths hold the same content: one inode, or the same size and SHA-256. False when either is gone. */
export async function sameContent(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
    if (sa.size !== sb.size) return false;
    const [ha, hb] = await Promise.all([sha256OfFile(a), sha256OfFile(b)]);
    return ha === hb;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
