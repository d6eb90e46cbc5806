import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import type { RemoteListing } from './remote-store.js';
import { checkRemoteName, joinRemote } from './remote-paths.js';

/** One entry of one directory as a server lists it: files, directories and links. */
export interface ListedName {
  name: string;
  sizeBytes: number;
  isDirectory: boolean;
  modifiedAt: Date | null;
  /** A symbolic link: passed over, never followed (what it points to may lie anywhere). */
  isLink?: boolean;
}

/** A directory the server will not list (its user may not read it), and the server's words. */
export class ListRefused {
  constructor(readonly why: string) {}
}

const READ_RIGHT = "give the archive's user the right to read it";

/**
 * Lists `root` (and below, when recursive) through `listDir`, which lists one
 * directory. Every name the server sends is checked before it becomes part of a path;
 * one that cannot be (a backslash, a line end, bytes that are not UTF-8) is passed over,
 * not allowed to fail the listing of every other file; so are links and the directories
 * below the root that the server will not list.
 */
export async function walkRemote(
  root: string,
  recursive: boolean,
  listDir: (dir: string) => Promise<ListedName[] | ListRefused>,
): Promise<RemoteListing> {
  const listing: RemoteListing = { entries: [], passedOver: [] };
  const passOver = (shown: string, isDirectory: boolean, why: string) =>
    listing.passedOver.push({ path: shown, relative: path.posix.relative(root, shown), isDirectory, why });
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const names = await listDir(dir);
    if (names instanceof ListRefused) {
      // The source itself unreadable is a setting to fix: the run fails. A directory below it
      // must not keep every other file from being listed.
      if (dir === root) {
        throw new NocturneError('TRANSFER_FAILED', `list ${root}: the server does not list it (${names.why}): ${READ_RIGHT}`);
      }
      passOver(dir, true, `the server does not list it (${names.why}): ${READ_RIGHT}`);
      continue;
    }
    for (const listed of names) {
      if (listed.isLink) {
        passOver(path.posix.join(dir, listed.name), false, 'a symbolic link on the server: not followed (put the file itself there)');
        continue;
      }
      let at: string;
      try {
        at = joinRemote(dir, checkRemoteName(listed.name, dir));
      } catch (err) {
        if (!(err instanceof NocturneError) || err.code !== 'PATH_UNSAFE') throw err;
        passOver(path.posix.join(dir, listed.name), listed.isDirectory, `${err.message}: rename it on the server`);
        continue;
      }
      listing.entries.push({ ...listed, path: at });
      if (recursive && listed.isDirectory) pending.push(at);
    }
  }
  return listing;
}
