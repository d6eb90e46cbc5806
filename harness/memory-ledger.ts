import { NocturneError } from '../src/core/errors.js';
import type {
  NewTransfer,
  QuarantineCode,
  Transfer,
  TransferChange,
  TransferLedger,
  TransferState,
} from '../src/stages/upload/transfer-ledger.js';

/**
 * The upload stage's ledger in memory, with the PostgreSQL ledger's rules (a move from a
 * state the row is no longer in is refused): for unit tests of the state machine, and for
 * the upload benchmark, which measures what the database costs by going without it.
 */
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
    const { attempt, clearError, note, via = [], ...fields } = change;
    const next: Transfer = {
      ...current,
      ...fields,
      state: to,
      attempts: current.attempts + (attempt ? 1 : 0),
      ...(clearError ? { errorCode: null, error: null } : {}),
    };
    this.rows.set(next.id, next);
    let from = transfer.state;
    for (const step of via) {
      this.events.push({ id: next.id, from, to: step.state, note: step.note });
      from = step.state;
    }
    this.events.push({ id: next.id, from, to, note });
    return next;
  }

  async fail(transfer: Transfer, error: NocturneError): Promise<Transfer> {
    const next = { ...this.rows.get(transfer.id)!, errorCode: error.code, error: error.message };
    this.rows.set(next.id, next);
    return next;
  }

  async quarantine(row: NewTransfer, quarantinePath: string, code: QuarantineCode, reason: string): Promise<Transfer> {
    const [t] = await this.add([row]);
    return this.move(t!, 'quarantined', { note: reason }).then((q) => {
      const next = { ...q, quarantinePath, errorCode: code, error: reason };
      this.rows.set(next.id, next);
      return next;
    });
  }

  states(id: number): TransferState[] {
    return this.events.filter((e) => e.id === id).map((e) => e.to);
  }
}
