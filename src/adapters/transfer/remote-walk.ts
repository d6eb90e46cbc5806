import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import type { RemoteListing } from './remote-store.js';
import { checkRemoteName, joinRemote } from './remote-paths.js';

/** One entry of one directory as a server lists it: files and directories only. */
export interface ListedName {
  name: string;
  sizeBytes: number;
  isDirectory: boolean;
  modifiedAt: Date | null;
}

/**
 * Lists `root` (and below, when recursive) through `listDir`, which lists one
 * directory. Every name the server sends is checked before it becomes part of a path;
 * one that cannot be (a backslash, a line end, bytes that are not UTF-8) is passed over,
 * not allowed to fail the listing of every other file.
 */
export async function walkRemote(
  root: string,
  recursive: boolean,
  listDir: (dir: string) => Promise<ListedName[]>,
): Promise<RemoteListing> {
  const listing: RemoteListing = { entries: [], passedOver: [] };
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const listed of await listDir(dir)) {
      let at: string;
      try {
        at = joinRemote(dir, checkRemoteName(listed.name, dir));
      } catch (err) {
        if (!(err instanceof NocturneError) || err.code !== 'PATH_UNSAFE') throw err;
        const shown = path.posix.join(dir, listed.name);
        const why = `${err.message}: rename it on the server`;
        listing.passedOver.push({ path: shown, relative: path.posix.relative(root, shown), isDirectory: listed.isDirectory, why });
        continue;
      }
      listing.entries.push({ ...listed, path: at });
      if (recursive && listed.isDirectory) pending.push(at);
    }
  }
  return listing;
}
