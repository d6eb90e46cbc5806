import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { coerceError } from '../../core/errors.js';
import { moveFile } from '../../adapters/files/move-file.js';

/**
 * A free name for `relative` below the quarantine directory: the same name, or, when
 * an earlier file of that name is already there, one stamped with `now`.
 */
export async function quarantinePathFor(dir: string, relative: string, now: Date): Promise<string> {
  const wanted = path.join(dir, relative);
  if (!(await exists(wanted))) return wanted;
  const { dir: parent, name, ext } = path.parse(wanted);
  return path.join(parent, `${name}.${now.toISOString().replace(/[-:.]/g, '')}${ext}`);
}

/**
 * Moves a rejected file to `dest` and writes why beside it (`<dest>.reason.txt`), so a
 * person finds the explanation next to the file without a database at hand.
 */
export async function moveToQuarantine(file: string, dest: string, reason: string, now: Date): Promise<void> {
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(`${dest}.reason.txt`, `file: ${file}\nquarantined: ${now.toISOString()}\nreason: ${reason}\n`);
    // The quarantine may be on another file system than the outbox.
    await moveFile(file, dest);
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `moving ${file} to quarantine ${dest}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err)),
  );
}
