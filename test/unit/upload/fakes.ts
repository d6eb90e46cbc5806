// The local files of the upload stage in memory, for unit tests (the remote store's fake
// is test/helpers/memory-store.ts, the ledger's harness/memory-ledger.ts).
import { createHash } from 'node:crypto';
import { NocturneError } from '../../../src/core/errors.js';
import type { LocalFileInfo, LocalFiles } from '../../../src/stages/upload/local-files.js';

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export class MemoryFiles implements LocalFiles {
  readonly files = new Map<string, { body: Buffer; mtimeMs: number }>();

  put(path: string, body: string | Buffer, mtimeMs = 1_000): void {
    this.files.set(path, { body: Buffer.from(body), mtimeMs });
  }

  async stat(path: string): Promise<LocalFileInfo | null> {
    const f = this.files.get(path);
    return f ? { sizeBytes: f.body.length, mtimeMs: f.mtimeMs } : null;
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async sha256(path: string): Promise<string> {
    return sha256(await this.read(path));
  }

  /** A local file's bytes, as a put sends them (MemoryStore's readLocal). */
  read = async (path: string): Promise<Buffer> => {
    const f = this.files.get(path);
    if (!f) throw new NocturneError('INTERNAL', `no local file ${path}`);
    return f.body;
  };
}
