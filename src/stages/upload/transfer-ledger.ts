import type { NocturneError } from '../../core/errors.js';

/**
 * The states of one file's verified deletion (sql/state/0003_transfers.sql):
 * discovered → uploading (partial name recorded) → verified → renamed → checked → deleted | kept.
 * uploading is written before the upload, checked before the local delete; verified,
 * renamed and checked are written by one commit after the rename (docs/operating.md).
 */
export type TransferState =
  'discovered' | 'uploading' | 'verified' | 'renamed' | 'checked' | 'deleted' | 'kept' | 'quarantined' | 'missing';

/** States after which there is nothing left to do for the row. */
/** Why the upload sets a file aside: a name no remote path can carry, or a bad quicklook. */
export type QuarantineCode = 'PATH_UNSAFE' | 'QUICKLOOK_INVALID';

export const FINISHED_STATES: ReadonlySet<TransferState> = new Set(['deleted', 'kept', 'quarantined', 'missing']);

export type VerifyMethod = 'size' | 'size+sha256-readback' | 'size+sha256-server' | 'size+sha256-readback(no-server-hash)';

export type TransferKind = 'output' | 'thumbnail';

export interface Transfer {
  readonly id: number;
  readonly pipeline: string;
  readonly target: string;
  readonly kind: TransferKind;
  readonly localPath: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly remotePath: string;
  readonly partialPath: string | null;
  readonly state: TransferState;
  readonly verifyMethod: VerifyMethod | null;
  readonly localSha256: string | null;
  readonly remoteSha256: string | null;
  readonly attempts: number;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly quarantinePath: string | null;
}

export interface NewTransfer {
  pipeline: string;
  target: string;
  kind: TransferKind;
  localPath: string;
  sizeBytes: number;
  mtimeMs: number;
  remotePath: string;
}

/** Fields that change with a state; anything absent stays as it is. */
export interface TransferChange {
  partialPath?: string | null;
  sizeBytes?: number;
  mtimeMs?: number;
  verifyMethod?: VerifyMethod;
  localSha256?: string | null;
  remoteSha256?: string | null;
  /** A new upload begins (counts attempts). */
  attempt?: boolean;
  /** Clears the last error (the file is done). */
  clearError?: boolean;
  /** Recorded with the event: partial name, verification detail, reason. */
  note?: string;
  /**
   * States passed through on the way to the new one, recorded as events of the same
   * commit (verified and renamed, when they are recorded with checked after the rename).
   */
  via?: ReadonlyArray<{ state: TransferState; note?: string }>;
}

/**
 * Durable per-file state of the upload stage. Every method commits before it returns:
 * the caller performs the next side effect only afterwards.
 */
export interface TransferLedger {
  /** Rows of a pipeline and target that are not closed (kept rows included). */
  pending(pipeline: string, target: string): Promise<Transfer[]>;
  /** Inserts rows for newly seen files, all or none (a quicklook and its thumbnail). */
  add(rows: NewTransfer[]): Promise<Transfer[]>;
  /** Moves `transfer` from its current state to `to`; fails if someone else moved it meanwhile. */
  move(transfer: Transfer, to: TransferState, change?: TransferChange): Promise<Transfer>;
  /** Records a failure; the state stays, so the next run resumes from it. */
  fail(transfer: Transfer, error: NocturneError): Promise<Transfer>;
  /** Records a file set aside: a closed row in state quarantined, with the code of why. */
  quarantine(row: NewTransfer, quarantinePath: string, code: QuarantineCode, reason: string): Promise<Transfer>;
}
