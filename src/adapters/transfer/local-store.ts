import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResolvedTarget } from '../../config/types.js';
import { openLocalSource } from './local-source.js';
import type { PutOptions, RemoteListing, RemoteSession, RemoteStore } from './remote-store.js';
import { checkRemotePath } from './remote-paths.js';
import { ListRefused, walkRemote } from './remote-walk.js';
import { SessionGuard } from './session-guard.js';

export type LocalTargetConfig = Extract<ResolvedTarget, { type: 'local' }>;

// A mounted share can hang like a server; it has no timeout setting of its own.
const LOCAL_TIMEOUT_MS = 60_000;

/**
 * A directory standing in for the archive (a mounted share, or a test). Remote paths,
 * absolute or relative, all lie below `path`: "/hfc/a.csv" is <path>/hfc/a.csv.
 */
export class LocalStore implements RemoteStore {
  readonly name: string;
  readonly #root: string;

  constructor(name: string, config: LocalTargetConfig) {
    this.name = name;
    this.#root = path.resolve(config.path);
  }

  async open(signal?: AbortSignal): Promise<RemoteSession> {
    const guard = new SessionGuard({ target: this.name, timeoutMs: LOCAL_TIMEOUT_MS, signal, destroy: () => {} });
    return new LocalSession(this.#root, guard);
  }
}

class LocalSession implements RemoteSession {
  readonly serverHashes: readonly string[] = [];
  readonly #root: string;
  readonly #guard: SessionGuard;

  constructor(root: string, guard: SessionGuard) {
    this.#root = root;
    this.#guard = guard;
  }

  async ensureDir(dir: string): Promise<void> {
    const local = this.#local(dir);
    await this.#guard.run('mkdir', dir, () => mkdir(local, { recursive: true }));
  }

  async put(localPath: string, remotePath: string, options: PutOptions = {}): Promise<string | null> {
    const dest = this.#local(remotePath);
    return this.#guard.run('put', remotePath, async (touch) => {
      const source = await openLocalSource(localPath, { sha256: options.sha256 === true });
      try {
        source.stream.on('data', () => touch());
        await pipeline(source.stream, createWriteStream(dest));
        source.recycle();
      } finally {
        await source.close();
      }
      source.checkComplete();
      // Written is not stored: the copy must survive a power cut before the original goes.
      const handle = await open(dest, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      return source.sha256();
    });
  }

  async rename(from: string, to: string): Promise<void> {
    const [localFrom, localTo] = [this.#local(from), this.#local(to)];
    await this.#guard.run('rename', `${from} -> ${to}`, () => rename(localFrom, localTo));
  }

  async size(remotePath: string): Promise<number | null> {
    const local = this.#local(remotePath);
    return this.#guard.run('size', remotePath, async () => {
      const info = await stat(local).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
      return info?.isFile() ? info.size : null;
    });
  }

  async remove(remotePath: string): Promise<void> {
    const local = this.#local(remotePath);
    await this.#guard.run('remove', remotePath, () => rm(local, { force: true }));
  }

  async list(dir: string, recursive: boolean): Promise<RemoteListing> {
    return walkRemote(checkRemotePath(dir), recursive, (at) =>
      this.#guard.run('list', at, async () => {
        const dirents = await readdir(this.#local(at), { withFileTypes: true, encoding: 'buffer' }).catch((err: NodeJS.ErrnoException) =>
          err.code === 'ENOENT' ? [] : err.code === 'EACCES' ? new ListRefused(err.message) : Promise.reject(err),
        );
        if (dirents instanceof ListRefused) return dirents;
        const listed = dirents.filter((d) => d.isFile() || d.isDirectory() || d.isSymbolicLink());
        return Promise.all(
          listed.map(async (d) => {
            const name = d.name.toString();
            if (d.isSymbolicLink()) return { name, sizeBytes: 0, isDirectory: false, modifiedAt: null, isLink: true };
            // Not UTF-8: shown with U+FFFD, as a server's listing would be, for walkRemote to pass over.
            if (!Buffer.from(name).equals(d.name)) return { name, sizeBytes: 0, isDirectory: false, modifiedAt: null };
            if (d.isDirectory()) return { name, sizeBytes: 0, isDirectory: true, modifiedAt: null };
            const info = await stat(path.join(this.#local(at), name));
            return { name, sizeBytes: info.size, isDirectory: false, modifiedAt: info.mtime };
          }),
        );
      }),
    );
  }

  async read(remotePath: string): Promise<Readable> {
    const local = this.#local(remotePath);
    return this.#guard.stream('read', remotePath, (sink) => pipeline(createReadStream(local), sink));
  }

  async serverHash(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {
    await this.#guard.close(async () => {});
  }

  #local(remotePath: string): string {
    return path.join(this.#root, checkRemotePath(remotePath));
  }
}
