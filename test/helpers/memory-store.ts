import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NocturneError } from '../../src/core/errors.js';
import type { RemoteListing, RemoteSession, RemoteStore } from '../../src/adapters/transfer/remote-store.js';
import { checkRemotePath } from '../../src/adapters/transfer/remote-paths.js';
import { walkRemote, type ListedName } from '../../src/adapters/transfer/remote-walk.js';
import { SessionGuard } from '../../src/adapters/transfer/session-guard.js';

export interface MemoryStoreOptions {
  /** Target name, for messages. @default 'memory' */
  name?: string;
  /** Reads the local file a put sends. @default the file system's */
  readLocal?: (localPath: string) => Promise<Buffer>;
}

/** Bytes of a read stream's chunks: small, so that readers meet chunk boundaries everywhere. */
const CHUNK_BYTES = 100;

/**
 * An archive held in memory, behind the same RemoteStore contract as the real stores
 * (test/integration/transfer/remote-store.test.ts runs it against this one too): paths
 * checked before use, directories that must exist before a file goes into them,
 * operations under the same SessionGuard (deadline, abort, a session retired after any
 * error), read streams that end only once complete. Its state is open to the test:
 * files (set one directly to stand for a file put by someone else, which then lists
 * without a time, as vsftpd does), the log of operations, faults for the next opens,
 * and the hashes the "server" offers.
 */
export class MemoryStore implements RemoteStore {
  readonly name: string;
  /** Files by remote path, as written. */
  readonly files = new Map<string, Buffer>();
  /** Directories made by ensureDir; the parents of a file exist as well. */
  readonly dirs = new Set<string>();
  /** When put (or renamed), to the second; a file set directly has none. */
  readonly times = new Map<string, Date>();
  /** "op path" of every operation, in order ("rename from -> to"). */
  readonly log: string[] = [];
  /** Thrown (once each) by the next open() calls. */
  readonly openFaults: NocturneError[] = [];
  /** Hashes the server computes (FTP HASH); empty, as most servers. */
  serverHashes: string[] = [];
  /** What serverHash answers when a hash is offered; by default the true digest. */
  serverHashAnswer: ((remotePath: string) => string | null) | null = null;
  opened = 0;
  closed = 0;
  readonly readLocal: (localPath: string) => Promise<Buffer>;

  constructor(options: MemoryStoreOptions = {}) {
    this.name = options.name ?? 'memory';
    this.readLocal = options.readLocal ?? ((localPath) => readFile(localPath));
  }

  async open(signal?: AbortSignal): Promise<RemoteSession> {
    const fault = this.openFaults.shift();
    if (fault) throw fault;
    this.opened += 1;
    return new MemorySession(this, new SessionGuard({ target: this.name, timeoutMs: 10_000, signal, destroy: () => {} }));
  }

  /** Whether `dir` exists: made by ensureDir, or holding a file. */
  hasDir(dir: string): boolean {
    if (dir === '.' || dir === '/' || this.dirs.has(dir)) return true;
    return [...this.files.keys()].some((file) => parents(file).includes(dir));
  }

  /** The names directly inside `dir` (none when it does not exist). */
  children(dir: string): ListedName[] {
    const listed = new Map<string, ListedName>();
    for (const [file, body] of this.files) {
      if (path.posix.dirname(file) === dir) {
        listed.set(file, {
          name: path.posix.basename(file),
          sizeBytes: body.length,
          isDirectory: false,
          modifiedAt: this.times.get(file) ?? null,
        });
      }
    }
    for (const sub of new Set([...this.dirs, ...[...this.files.keys()].flatMap(parents)])) {
      if (sub !== dir && path.posix.dirname(sub) === dir) {
        listed.set(sub, { name: path.posix.basename(sub), sizeBytes: 0, isDirectory: true, modifiedAt: null });
      }
    }
    return [...listed.values()];
  }
}

/** Every directory above `file`, nearest last ("a/b/c.csv" → "a", "a/b"). */
function parents(file: string): string[] {
  const found: string[] = [];
  for (let dir = path.posix.dirname(file); dir !== '.' && dir !== '/'; dir = path.posix.dirname(dir)) found.unshift(dir);
  return found;
}

class MemorySession implements RemoteSession {
  readonly #store: MemoryStore;
  readonly #guard: SessionGuard;

  constructor(store: MemoryStore, guard: SessionGuard) {
    this.#store = store;
    this.#guard = guard;
  }

  get serverHashes(): readonly string[] {
    return this.#store.serverHashes;
  }

  async ensureDir(dir: string): Promise<void> {
    checkRemotePath(dir);
    await this.#run('ensureDir', dir, async () => {
      for (const d of [...parents(dir), dir]) this.#store.dirs.add(d);
    });
  }

  /** Computes no SHA-256 while sending: the caller reads the local file for it. */
  async put(localPath: string, remotePath: string): Promise<string | null> {
    checkRemotePath(remotePath);
    await this.#run('put', remotePath, async () => {
      this.#needDir(remotePath);
      this.#write(remotePath, await this.#store.readLocal(localPath));
    });
    return null;
  }

  async rename(from: string, to: string): Promise<void> {
    checkRemotePath(from);
    checkRemotePath(to);
    await this.#run('rename', `${from} -> ${to}`, async () => {
      const body = this.#store.files.get(from);
      if (!body) throw new Error(`no such file: ${from}`);
      this.#needDir(to);
      this.#store.files.delete(from);
      this.#store.times.delete(from);
      this.#write(to, body);
    });
  }

  async size(remotePath: string): Promise<number | null> {
    checkRemotePath(remotePath);
    return this.#run('size', remotePath, async () => this.#store.files.get(remotePath)?.length ?? null);
  }

  async remove(remotePath: string): Promise<void> {
    checkRemotePath(remotePath);
    await this.#run('remove', remotePath, async () => {
      this.#store.files.delete(remotePath);
      this.#store.times.delete(remotePath);
    });
  }

  async list(dir: string, recursive: boolean): Promise<RemoteListing> {
    return walkRemote(checkRemotePath(dir), recursive, (at) => this.#run('list', at, async () => this.#store.children(at)));
  }

  async read(remotePath: string): Promise<Readable> {
    checkRemotePath(remotePath);
    this.#store.log.push(`read ${remotePath}`);
    return this.#guard.stream('read', remotePath, async (sink: Writable) => {
      const body = this.#store.files.get(remotePath);
      if (!body) throw new Error('no such file');
      const chunks = Array.from({ length: Math.ceil(body.length / CHUNK_BYTES) }, (_, i) =>
        body.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
      );
      await pipeline(Readable.from(chunks), sink);
    });
  }

  async serverHash(remotePath: string, algorithm: 'sha256'): Promise<string | null> {
    checkRemotePath(remotePath);
    return this.#run('serverHash', remotePath, async () => {
      if (!this.#store.serverHashes.includes(algorithm)) return null;
      if (this.#store.serverHashAnswer) return this.#store.serverHashAnswer(remotePath);
      const body = this.#store.files.get(remotePath);
      return body ? createHash('sha256').update(body).digest('hex') : null;
    });
  }

  async close(): Promise<void> {
    this.#store.closed += 1;
    await this.#guard.close(async () => {});
  }

  #run<T>(op: string, what: string, work: () => Promise<T>): Promise<T> {
    this.#store.log.push(`${op} ${what}`);
    return this.#guard.run(op, what, work);
  }

  #needDir(remotePath: string): void {
    const dir = path.posix.dirname(remotePath);
    if (!this.#store.hasDir(dir)) throw new Error(`no such directory: ${dir}`);
  }

  #write(remotePath: string, body: Buffer): void {
    this.#store.files.set(remotePath, Buffer.from(body));
    this.#store.times.set(remotePath, new Date(Math.floor(Date.now() / 1000) * 1000));
  }
}
