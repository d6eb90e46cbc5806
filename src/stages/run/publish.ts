import { access, copyFile, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { coerceError } from '../../core/errors.js';

/**
 * Moves a completed task's outputs from its output directory into the outbox, in the
 * given order, each by one rename: the upload stage sees a file whole or not at all.
 * Across filesystems the file is first copied beside its final name under a dot name,
 * which the upload stage never takes, then renamed. A file already gone from `fromDir`
 * was moved by an earlier attempt (see JobLedger.markPublishing): the move is repeatable.
 */
export async function publishOutputs(fromDir: string, outbox: string, names: readonly string[]): Promise<void> {
  await mkdir(outbox, { recursive: true });
  for (const name of names) {
    const from = path.join(fromDir, name);
    const to = path.join(outbox, name);
    try {
      await rename(from, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EXDEV') throw coerceError(err, 'INTERNAL', `publishing ${from} into ${outbox}`);
      await copyAcross(from, to, code === 'ENOENT');
    }
  }
}

/**
 * Copy, then rename into place. The source is renamed to a dot name of its own directory
 * between the two, as a journal: a move cut short resumes from where it stopped, and a
 * file whose copy was already renamed into place (and maybe uploaded since) is never
 * copied again.
 */
async function copyAcross(from: string, to: string, sourceGone: boolean): Promise<void> {
  const partial = path.join(path.dirname(to), `.${path.basename(to)}.publishing`);
  const moved = path.join(path.dirname(from), `.${path.basename(from)}.published`);
  try {
    if (!sourceGone) {
      await copyFile(from, partial);
      const handle = await open(partial, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(from, moved);
    } else if (!(await exists(moved))) {
      return; // moved by an earlier attempt, by rename or to the end
    }
    if (await exists(partial)) await rename(partial, to);
    await unlink(moved);
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `publishing ${from} into ${path.dirname(to)}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}
