import type { RemoteEntry } from './remote-store.js';
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
 * directory. Every name the server sends is checked before it becomes part of a path.
 */
export async function walkRemote(
  root: string,
  recursive: boolean,
  listDir: (dir: string) => Promise<ListedName[]>,
): Promise<RemoteEntry[]> {
  const entries: RemoteEntry[] = [];
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const listed of await listDir(dir)) {
      const entry: RemoteEntry = { ...listed, path: joinRemote(dir, checkRemoteName(listed.name, dir)) };
      entries.push(entry);
      if (recursive && entry.isDirectory) pending.push(entry.path);
    }
  }
  return entries;
}
