import { copyFile, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { coerceError } from '../../core/errors.js';
import { sameFile } from '../../adapters/transfer/local-source.js';

/**
 * A free name for `relative` below the quarantine directory: the same name, or, when
 * an earlier file of that name is already there, one stamped with `now`. The same file
 * there already (copied across file systems by a run killed before it removed the
 * outbox's copy) keeps its name.
 */
export async function quarantinePathFor(dir: string, relative: string, file: string, now: Date): Promise<string> {
  const wanted = path.join(dir, relative);
  if (!(await exists(wanted)) || (await sameFile(file, wanted))) return wanted;
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
    // There already (quarantinePathFor): the outbox's name goes. A rename between two
    // names of one file would do nothing and leave it in the outbox.
    if ((await exists(dest)) && (await sameFile(file, dest))) return await unlink(file);
    await rename(file, dest).catch(async (err: NodeJS.ErrnoException) => {
      // The quarantine may be on another file system than the outbox: copied under a
      // temporary name, so the quarantine's name never holds part of a file.
      if (err.code !== 'EXDEV') throw err;
      await copyFile(file, `${dest}.part`);
      await rename(`${dest}.part`, dest);
      await unlink(file);
    });
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
