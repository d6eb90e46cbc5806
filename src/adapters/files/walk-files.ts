import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** A regular file found below the walked directory. */
export interface WalkedFile {
  /** Absolute path. */
  path: string;
  /** Below the walked directory, with "/" separators. */
  relative: string;
}

/** An entry the walk did not take, and why: a person must hear of it, not find it years later. */
export interface PassedOver {
  /** Full path (an undecodable name shows U+FFFD where its bytes were). */
  path: string;
  /** Below the walked directory, with "/" separators (matched against include globs). */
  relative: string;
  /** A directory passed over (unreadable, or its name unusable) hides files of any name; the others are one entry. */
  isDirectory: boolean;
  why: string;
}

export interface Walk {
  /** Sorted by relative path. */
  files: WalkedFile[];
  passedOver: PassedOver[];
}

export interface WalkOptions {
  /** Entries (files or directories) left out without a word, by their relative path. */
  skip?: (relative: string, isDirectory: boolean) => boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The regular files below `root`, at any depth, without following symbolic links:
 * readdir's `recursive` follows a link to a directory, so a file outside the tree was
 * taken for one of it (and the upload deleted it once archived). Links, FIFOs, sockets,
 * devices, names that are not UTF-8 (which no string path can reach) and directories
 * that cannot be read are passed over and returned, for the caller to report. A missing
 * root holds nothing; an unreadable one throws.
 */
export async function walkFiles(root: string, options: WalkOptions = {}): Promise<Walk> {
  const walk: Walk = { files: [], passedOver: [] };
  const visit = async (dir: Buffer, relative: string): Promise<void> => {
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Gone since its parent was read, or never there: nothing to take.
      if (code === 'ENOENT') return;
      if (relative === '') throw err;
      // One unreadable directory does not hide the rest of the tree.
      walk.passedOver.push({
        path: dir.toString(),
        relative,
        isDirectory: true,
        why: `a directory that cannot be read (${code}): check its permissions`,
      });
      return;
    }
    for (const entry of entries) {
      const bytes = Buffer.concat([dir, Buffer.from('/'), entry.name]);
      let name: string;
      try {
        name = utf8.decode(entry.name);
      } catch {
        const shown = entry.name.toString();
        walk.passedOver.push({
          path: bytes.toString(),
          relative: relative === '' ? shown : `${relative}/${shown}`,
          isDirectory: entry.isDirectory(),
          why: 'its name is not valid UTF-8 (shown with U+FFFD), which no path of ours can reach: rename it',
        });
        continue;
      }
      const rel = relative === '' ? name : `${relative}/${name}`;
      if (options.skip?.(rel, entry.isDirectory())) continue;
      if (entry.isDirectory()) await visit(bytes, rel);
      else if (entry.isFile()) walk.files.push({ path: path.join(root, rel), relative: rel });
      else walk.passedOver.push({ path: path.join(root, rel), relative: rel, isDirectory: false, why: kindOf(entry) });
    }
  };
  await visit(Buffer.from(path.resolve(root)), '');
  walk.files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return walk;
}

function kindOf(entry: Dirent<Buffer>): string {
  if (entry.isSymbolicLink()) return 'a symbolic link, not followed (it could lead anywhere): put the file itself here';
  if (entry.isFIFO()) return 'a FIFO, not a regular file';
  if (entry.isSocket()) return 'a socket, not a regular file';
  return 'a device, not a regular file';
}
