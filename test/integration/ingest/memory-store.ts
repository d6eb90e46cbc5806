import path from 'node:path';
import { Readable } from 'node:stream';
import type { RemoteEntry, RemoteSession, RemoteStore } from '../../../src/adapters/transfer/remote-store.js';

/**
 * An archive held in memory, for ingest tests that need a remote source without a
 * server: list and read work; anything that would change the archive throws, since the
 * ingest stage must never change it.
 */
export class MemoryStore implements RemoteStore {
  readonly name = 'archive';
  readonly files = new Map<string, Buffer>();
  readonly reads: string[] = [];

  async open(): Promise<RemoteSession> {
    const refuse = (what: string) => async () => {
      throw new Error(`ingest must not ${what} the archive`);
    };
    return {
      serverHashes: [],
      ensureDir: refuse('create directories in'),
      put: refuse('upload to'),
      rename: refuse('rename files of'),
      remove: refuse('remove files from'),
      size: async (file) => this.files.get(file)?.length ?? null,
      serverHash: async () => null,
      list: async (dir, recursive) => this.#list(dir, recursive),
      read: async (file) => {
        const bytes = this.files.get(file);
        if (!bytes) throw new Error(`${file}: no such file`);
        this.reads.push(file);
        // Small chunks, as a network stream delivers them.
        return Readable.from(Array.from({ length: Math.ceil(bytes.length / 100) }, (_, i) => bytes.subarray(i * 100, i * 100 + 100)));
      },
      close: async () => undefined,
    };
  }

  #list(dir: string, recursive: boolean): RemoteEntry[] {
    const entries: RemoteEntry[] = [];
    const dirs = new Set<string>();
    for (const [file, bytes] of this.files) {
      const rel = path.posix.relative(dir, file);
      if (rel.startsWith('..')) continue;
      const parts = rel.split('/');
      if (parts.length === 1) entries.push({ path: file, sizeBytes: bytes.length, isDirectory: false, modifiedAt: null });
      else if (recursive) entries.push({ path: file, sizeBytes: bytes.length, isDirectory: false, modifiedAt: null });
      for (let i = 1; i < parts.length && (recursive || i === 1); i++) dirs.add(path.posix.join(dir, ...parts.slice(0, i)));
    }
    return [...entries, ...[...dirs].map((d) => ({ path: d, sizeBytes: 0, isDirectory: true, modifiedAt: null }))];
  }
}
