import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { RemoteSession } from './remote-store.js';

/**
 * One connection shared by several workers: operations run one at a time, in the order
 * they were asked for (FTP allows a single command at a time). A read holds the
 * connection until its stream is finished, since the transfer is still under way.
 */
export function serializeSession(session: RemoteSession): RemoteSession {
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(op: () => Promise<T>): Promise<T> => {
    const result = tail.then(op);
    // The next operation waits for this one whatever its outcome; the outcome itself
    // reaches the caller through `result`.
    tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };
  return {
    get serverHashes() {
      return session.serverHashes;
    },
    ensureDir: (dir) => exclusive(() => session.ensureDir(dir)),
    put: (localPath, remotePath, options) => exclusive(() => session.put(localPath, remotePath, options)),
    rename: (from, to) => exclusive(() => session.rename(from, to)),
    size: (path) => exclusive(() => session.size(path)),
    remove: (path) => exclusive(() => session.remove(path)),
    list: (dir, recursive) => exclusive(() => session.list(dir, recursive)),
    ...(session.modifiedAt ? { modifiedAt: (path: string) => exclusive(() => session.modifiedAt!(path)) } : {}),
    serverHash: (path, algorithm) => exclusive(() => session.serverHash(path, algorithm)),
    read: (path) =>
      new Promise<Readable>((resolve, reject) => {
        exclusive(async () => {
          const stream = await session.read(path);
          resolve(stream);
          // Errors reach the reader through the stream; here only the end matters.
          await finished(stream).catch(() => undefined);
        }).catch(reject);
      }),
    close: () => exclusive(() => session.close()),
  };
}
