// In-memory stand-ins for the upload stage's side effects: the remote store, the local
// files and the ledger. Unit tests only; integration tests use the real ones.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NocturneError } from '../../../src/core/errors.js';
import type { RemoteEntry, RemoteSession, RemoteStore } from '../../../src/adapters/transfer/remote-store.js';
import type { LocalFileInfo, LocalFiles } from '../../../src/stages/upload/local-files.js';
import type {
  NewTransfer,
  Transfer,
  TransferChange,
  TransferLedger,
  TransferState,
} from '../../../src/stages/upload/transfer-ledger.js';

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
    const f = this.files.get(path);
    if (!f) throw new NocturneError('INTERNAL', `no local file ${path}`);
    return sha256(f.body);
  }
}

export type SessionOp = 'ensureDir' | 'put' | 'rename' | 'size' | 'remove' | 'read' | 'serverHash';

/** A server: files by path, a log of operations, and optional faults per operation. */
export class MemoryServer {
  readonly files = new Map<string, Buffer>();
  readonly log: string[] = [];
  /** Thrown (once each) by the next operations of that kind. */
  readonly faults: Array<{ op: SessionOp; error: NocturneError }> = [];
  /** Thrown (once each) by the next open() calls. */
  readonly openFaults: NocturneError[] = [];
  serverHashes: string[] = [];
  /** What serverHash answers; by default the true digest. */
  serverHashAnswer: ((path: string) => string | null) | null = null;
  opened = 0;
  closed = 0;

  constructor(readonly local: MemoryFiles) {}

  fault(op: SessionOp, error: NocturneError): void {
    this.faults.push({ op, error });
  }

  take(op: SessionOp, path: string): void {
    this.log.push(`${op} ${path}`);
    const i = this.faults.findIndex((f) => f.op === op);
    if (i >= 0) throw this.faults.splice(i, 1)[0]!.error;
  }
}

export class MemoryStore implements RemoteStore {
  readonly name = 'memory';
  constructor(readonly server: MemoryServer) {}

  async open(): Promise<RemoteSession> {
    const fault = this.server.openFaults.shift();
    if (fault) throw fault;
    this.server.opened += 1;
    return new MemorySession(this.server);
  }
}

class MemorySession implements RemoteSession {
  constructor(readonly server: MemoryServer) {}

  get serverHashes(): readonly string[] {
    return this.server.serverHashes;
  }

  async ensureDir(dir: string): Promise<void> {
    this.server.take('ensureDir', dir);
  }

  async put(localPath: string, remotePath: string): Promise<void> {
    this.server.take('put', remotePath);
    const f = this.server.local.files.get(localPath);
    if (!f) throw new NocturneError('TRANSFER_FAILED', `no local ${localPath}`);
    this.server.files.set(remotePath, Buffer.from(f.body));
  }

  async rename(from: string, to: string): Promise<void> {
    this.server.take('rename', `${from} -> ${to}`);
    const body = this.server.files.get(from);
    if (!body) throw new NocturneError('TRANSFER_FAILED', `no remote ${from}`);
    this.server.files.delete(from);
    this.server.files.set(to, body);
  }

  async size(path: string): Promise<number | null> {
    this.server.take('size', path);
    return this.server.files.get(path)?.length ?? null;
  }

  async remove(path: string): Promise<void> {
    this.server.take('remove', path);
    this.server.files.delete(path);
  }

  async list(): Promise<RemoteEntry[]> {
    return [...this.server.files].map(([path, body]) => ({ path, sizeBytes: body.length, isDirectory: false, modifiedAt: null }));
  }

  async read(path: string): Promise<Readable> {
    this.server.take('read', path);
    const body = this.server.files.get(path);
    if (!body) throw new NocturneError('TRANSFER_FAILED', `no remote ${path}`);
    return Readable.from([body]);
  }

  async serverHash(path: string): Promise<string | null> {
    this.server.take('serverHash', path);
    if (this.server.serverHashAnswer) return this.server.serverHashAnswer(path);
    const body = this.server.files.get(path);
    return body ? sha256(body) : null;
  }

  async close(): Promise<void> {
    this.server.closed += 1;
  }
}

export class MemoryLedger implements TransferLedger {
  readonly rows = new Map<number, Transfer>();
  readonly events: Array<{ id: number; from: TransferState | null; to: TransferState; note?: string | undefined }> = [];
  #next = 1;

  async pending(pipeline: string, target: string): Promise<Transfer[]> {
    return [...this.rows.values()].filter(
      (t) => t.pipeline === pipeline && t.target === target && !['deleted', 'quarantined', 'missing'].includes(t.state),
    );
  }

  async add(rows: NewTransfer[]): Promise<Transfer[]> {
    return rows.map((r) => {
      const t: Transfer = {
        ...r,
        id: this.#next++,
        partialPath: null,
        state: 'discovered',
        verifyMethod: null,
        localSha256: null,
        remoteSha256: null,
        attempts: 0,
        errorCode: null,
        error: null,
        quarantinePath: null,
      };
      this.rows.set(t.id, t);
      this.events.push({ id: t.id, from: null, to: 'discovered' });
      return t;
    });
  }

  async move(transfer: Transfer, to: TransferState, change: TransferChange = {}): Promise<Transfer> {
    const current = this.rows.get(transfer.id);
    if (current?.state !== transfer.state) throw new NocturneError('INTERNAL', `stale move of ${transfer.id}`);
    const { attempt, clearError, note, ...fields } = change;
    const next: Transfer = {
      ...current,
      ...fields,
      state: to,
      attempts: current.attempts + (attempt ? 1 : 0),
      ...(clearError ? { errorCode: null, error: null } : {}),
    };
    this.rows.set(next.id, next);
    this.events.push({ id: next.id, from: transfer.state, to, note });
    return next;
  }

  async fail(transfer: Transfer, error: NocturneError): Promise<Transfer> {
    const next = { ...this.rows.get(transfer.id)!, errorCode: error.code, error: error.message };
    this.rows.set(next.id, next);
    return next;
  }

  async quarantine(row: NewTransfer, quarantinePath: string, reason: string): Promise<Transfer> {
    const [t] = await this.add([row]);
    return this.move(t!, 'quarantined', { note: reason }).then((q) => {
      const next = { ...q, quarantinePath, errorCode: 'QUICKLOOK_INVALID', error: reason };
      this.rows.set(next.id, next);
      return next;
    });
  }

  states(id: number): TransferState[] {
    return this.events.filter((e) => e.id === id).map((e) => e.to);
  }
}
