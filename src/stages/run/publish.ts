import { copyFile, link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { coerceError } from '../../core/errors.js';

/**
 * Moves a completed task's outputs from its output directory into the outbox, in the
 * given order, each by a hard link then the removal of its old name: the upload stage sees
 * a file whole or not at all, and a file already in the outbox is not replaced unless
 * `mayReplace` says so (a link fails where rename would overwrite). Returns the first
 * output whose name a file with other bytes already holds in the outbox and may not be
 * replaced (another observation's output, not yet uploaded or kept): nothing of the task
 * is then published, and its files stay where they are. One that may (this observation's
 * earlier output: the code was run again) is replaced by rename.
 *
 * Across filesystems the file is first copied beside its final name under a dot name,
 * which the upload stage never takes, then linked into place. A file already gone from
 * `fromDir` was moved by an earlier attempt (see JobLedger.markPublishing), and one found
 * at both names was linked by a move cut short before its old name was removed: the move
 * is repeatable.
 */
export async function publishOutputs(
  fromDir: string,
  outbox: string,
  names: readonly string[],
  mayReplace: (name: string) => Promise<boolean>,
): Promise<string | null> {
  await mkdir(outbox, { recursive: true });
  const where = (name: string) => ({ from: path.join(fromDir, name), to: path.join(outbox, name) });
  const replacing = new Set<string>();
  for (const name of names) {
    const { from, to } = where(name);
    const refused = await taken(from, to).catch((err: unknown) => {
      throw coerceError(err, 'INTERNAL', `publishing ${from} into ${outbox}`);
    });
    if (!refused) continue;
    if (!(await mayReplace(name))) return name;
    replacing.add(name);
  }
  for (const name of names) {
    const { from, to } = where(name);
    const replace = replacing.has(name);
    try {
      if (replace) {
        await rename(from, to);
      } else {
        // False: a file that came in since the check.
        if (!(await linkOnce(from, to))) return name;
        await unlink(from);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && !NO_LINK.has(code ?? '')) throw coerceError(err, 'INTERNAL', `publishing ${from} into ${outbox}`);
      if (!(await copyAcross(from, to, code === 'ENOENT', replace))) return name;
    }
  }
  return null;
}

/**
 * Why link() may refuse what rename() would do: another filesystem (EXDEV); a task's
 * file owned by another user under fs.protected_hardlinks (EPERM: SLURM jobs run as
 * another account); a filesystem without hard links (some FUSE and SMB mounts). The
 * copy, which is the daemon's own, is then linked into place instead (copyAcross).
 */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * Whether `to` holds a file other than `from`, with other bytes. With `from` gone, it was
 * moved there by an earlier attempt. The same bytes under the same name are the same
 * output: a code's metadata file (SDOSS's `_frc_info.csv`), written alike by every
 * observation, is published once.
 */
async function taken(from: string, to: string): Promise<boolean> {
  const there = await statOrNull(to);
  if (there === null) return false;
  const here = await statOrNull(from);
  if (here === null || sameFile(here, there)) return false;
  if (here.size !== there.size) return true;
  return sameBytes(from, to).then(
    (same) => !same,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false; // uploaded and removed meanwhile
      throw err;
    },
  );
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const [ba, bb] = [Buffer.alloc(65_536), Buffer.alloc(65_536)];
    for (;;) {
      const [ra, rb] = await Promise.all([ha.read(ba, 0, ba.length), hb.read(bb, 0, bb.length)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      if (ra.bytesRead === 0) return true;
    }
  } finally {
    await Promise.all([ha.close(), hb.close()]);
  }
}

/** Links `from` to `to`; false when `to` is another file. */
async function linkOnce(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return !(await taken(from, to));
  }
}

/**
 * Copy, then link into place (rename, to `replace` what is there). The source is renamed
 * to a dot name of its own directory between the two, as a journal: a move cut short
 * resumes from where it stopped, and a file whose copy was already linked into place (and
 * maybe uploaded since) is never copied again. False, with the source back under its
 * name, when `to` is another file.
 */
async function copyAcross(from: string, to: string, sourceGone: boolean, replace: boolean): Promise<boolean> {
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
    } else if ((await statOrNull(moved)) === null) {
      return true; // moved by an earlier attempt, by link or to the end
    }
    if ((await statOrNull(partial)) !== null && replace) {
      await rename(partial, to);
    } else if ((await statOrNull(partial)) !== null) {
      if (!(await linkOnce(partial, to))) {
        await rename(moved, from);
        await unlink(partial);
        return false;
      }
      await unlink(partial);
    }
    await unlink(moved);
    return true;
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `publishing ${from} into ${path.dirname(to)}`);
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

async function statOrNull(file: string): Promise<Stats | null> {
  return lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}
