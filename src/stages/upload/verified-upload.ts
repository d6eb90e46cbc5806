import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import type { RemoteSession } from '../../adapters/transfer/remote-store.js';
import { partialPathFor } from '../../adapters/transfer/remote-paths.js';
import type { LocalFileInfo, LocalFiles } from './local-files.js';
import { FINISHED_STATES, type Transfer, type TransferChange, type TransferLedger, type TransferState } from './transfer-ledger.js';
import { needsLocalHash, verifyRemote, type VerifyConfig } from './verify.js';

/** Test seams: called inside the state machine, never configured in production. */
export interface UploadHooks {
  /** After each state is durably recorded, before the next side effect (crash injection). */
  afterState?(transfer: Transfer): void | Promise<void>;
  /** Between the upload and its verification (a test alters the remote copy here). */
  beforeVerify?(transfer: Transfer): void | Promise<void>;
  /** Between the rename and its record (crash injection: the row is still uploading). */
  afterRename?(transfer: Transfer): void | Promise<void>;
}

export interface MachineDeps {
  ledger: TransferLedger;
  files: LocalFiles;
  verify: VerifyConfig;
  deleteAfterVerify: boolean;
  signal: AbortSignal;
  hooks?: UploadHooks | undefined;
  /** Random part of partial names (tests make it predictable). */
  random?: () => string;
}

/** The row being driven, updated after every recorded step so a retry resumes from it. */
export interface TransferSlot {
  transfer: Transfer;
}

export interface DriveResult {
  uploadedBytes: number;
}

/**
 * Drives one file through verified deletion, from whatever state is recorded, until it
 * is deleted, kept or found missing. The local copy is removed only after the final
 * remote name was re-checked, never because nothing failed. Throws on any failure; the
 * recorded state is always a safe point to resume from (with a fresh session).
 */
export async function driveTransfer(slot: TransferSlot, session: RemoteSession, deps: MachineDeps): Promise<DriveResult> {
  const result: DriveResult = { uploadedBytes: 0 };
  const move = async (to: TransferState, change: TransferChange = {}) => {
    slot.transfer = await deps.ledger.move(slot.transfer, to, change);
    // States passed through are as durable as the last one, and came before it.
    for (const step of change.via ?? []) await deps.hooks?.afterState?.({ ...slot.transfer, state: step.state });
    await deps.hooks?.afterState?.(slot.transfer);
  };

  while (!FINISHED_STATES.has(slot.transfer.state)) {
    if (deps.signal.aborted) throw new NocturneError('ABORTED', `${slot.transfer.localPath}: stopped at state ${slot.transfer.state}`);
    const t = slot.transfer;
    switch (t.state) {
      case 'uploading':
        // A partial of an interrupted or failed attempt: removed, then a fresh upload.
        await session.remove(required(t.partialPath, t));
        await upload(t, session, deps, move, result);
        break;
      case 'discovered':
        await upload(t, session, deps, move, result);
        break;
      case 'verified':
        await rename(t, session, deps, move);
        break;
      case 'renamed':
        await recheck(t, session, move);
        break;
      case 'checked':
        await finish(t, deps, move);
        break;
    }
  }
  return result;
}

type Move = (to: TransferState, change?: TransferChange) => Promise<void>;

async function upload(t: Transfer, session: RemoteSession, deps: MachineDeps, move: Move, result: DriveResult): Promise<void> {
  const local = await deps.files.stat(t.localPath);
  if (!local) {
    await move('missing', { partialPath: null, note: 'the local file disappeared before it was uploaded' });
    return;
  }
  await session.ensureDir(path.posix.dirname(t.remotePath));
  const partial = partialPathFor(t.remotePath, deps.random);
  await move('uploading', { partialPath: partial, sizeBytes: local.sizeBytes, mtimeMs: local.mtimeMs, attempt: true, note: partial });
  // The local hash is computed from the bytes as they are sent: one local read.
  const wantHash = needsLocalHash(deps.verify);
  const sent = await session.put(t.localPath, partial, { sha256: wantHash });
  const localHash = wantHash ? (sent ?? (await deps.files.sha256(t.localPath))) : null;
  result.uploadedBytes += local.sizeBytes;
  const uploading = { ...t, state: 'uploading' as const, partialPath: partial, ...local };
  await deps.hooks?.beforeVerify?.(uploading);
  const check = await verifyRemote(
    session,
    partial,
    { sizeBytes: local.sizeBytes, sha256: async () => localHash ?? deps.files.sha256(t.localPath) },
    deps.verify,
  );
  if (!check.ok) {
    // As rclone does: a copy that failed verification is removed, the local one stays.
    await session.remove(partial);
    await move('discovered', { partialPath: null, note: `verification failed (${check.method}): ${check.detail}` });
    throw mismatch(t, check.detail);
  }
  // verified, renamed and checked in one record, after the rename: a crash before it
  // leaves the row uploading, whose resumption removes the partial (gone if renamed) and
  // uploads again; the final name holds verified bytes either way (docs/operating.md).
  await session.rename(partial, t.remotePath);
  await deps.hooks?.afterRename?.(uploading);
  await move('checked', {
    via: [
      { state: 'verified', note: check.method },
      { state: 'renamed', note: t.remotePath },
    ],
    verifyMethod: check.method,
    localSha256: localHash,
    remoteSha256: check.remoteSha256,
    partialPath: null,
    clearError: true,
    note: renamedNote(t.remotePath, local.sizeBytes),
  });
}

function renamedNote(remotePath: string, sizeBytes: number): string {
  return `${remotePath}: renamed after verification of ${sizeBytes} bytes`;
}

/** A row recorded as verified (by an earlier version, which recorded it before the rename): renamed, or found renamed. */
async function rename(t: Transfer, session: RemoteSession, deps: MachineDeps, move: Move): Promise<void> {
  const partial = required(t.partialPath, t);
  // The rename may or may not have happened before the interruption.
  const partialSize = await session.size(partial);
  if (partialSize === t.sizeBytes) {
    await session.rename(partial, t.remotePath);
    // renamed and checked in one record, without asking the size again: the bytes were
    // verified under the partial name, and a rename in one directory moves the name,
    // not the bytes. A crash before the record leaves the row verified, whose resumption
    // finds the partial gone and verifies the final name (see docs/operating.md).
    await move('checked', {
      via: [{ state: 'renamed', note: t.remotePath }],
      partialPath: null,
      clearError: true,
      note: renamedNote(t.remotePath, t.sizeBytes),
    });
    return;
  }
  if (partialSize === null) {
    const check = await verifyRemote(
      session,
      t.remotePath,
      { sizeBytes: t.sizeBytes, sha256: async () => t.localSha256 ?? (await deps.files.sha256(t.localPath)) },
      deps.verify,
    );
    if (check.ok) {
      await move('renamed', { partialPath: null, note: `${t.remotePath} (renamed before an interruption)` });
      return;
    }
  } else {
    await session.remove(partial);
  }
  await move('discovered', { partialPath: null, note: 'verified partial not found after an interruption: uploading again' });
}

/** The final name of a row recorded as renamed (after a crash, or by an earlier version) checked again. */
async function recheck(t: Transfer, session: RemoteSession, move: Move): Promise<void> {
  const size = await session.size(t.remotePath);
  if (size !== t.sizeBytes) {
    await move('discovered', { partialPath: null, note: `final name changed after the rename: ${size ?? 'no file'} bytes` });
    throw mismatch(t, `${t.remotePath}: ${size ?? 'no such file'} after the rename, expected ${t.sizeBytes} bytes`);
  }
  await move('checked', { partialPath: null, clearError: true, note: `${t.remotePath}: ${size} bytes` });
}

async function finish(t: Transfer, deps: MachineDeps, move: Move): Promise<void> {
  const local = await deps.files.stat(t.localPath);
  if (!local) {
    // Our own delete happened just before an interruption.
    await move('deleted', { note: 'the local file was already gone' });
    return;
  }
  if (!sameFile(local, t)) {
    // Replaced after its upload (a re-run of the code): the new content goes up too.
    await move('discovered', { note: 'the local file changed after its upload: uploading the new version' });
    return;
  }
  // Thumbnails are ours, made in the work directory: never kept.
  if (!deps.deleteAfterVerify && t.kind === 'output') {
    await move('kept', { note: 'deleteAfterVerify is off' });
    return;
  }
  await deps.files.remove(t.localPath);
  await move('deleted', { note: `local copy removed; archived at ${t.remotePath}` });
}

export function sameFile(local: LocalFileInfo, t: Pick<Transfer, 'sizeBytes' | 'mtimeMs'>): boolean {
  return local.sizeBytes === t.sizeBytes && local.mtimeMs === t.mtimeMs;
}

function required(partial: string | null, t: Transfer): string {
  if (partial === null) throw new NocturneError('INTERNAL', `${t.localPath}: state ${t.state} without a partial name`);
  return partial;
}

function mismatch(t: Transfer, detail: string): NocturneError {
  return new NocturneError('TRANSFER_VERIFY_MISMATCH', `${t.localPath} → target "${t.target}": ${detail}; local copy kept`, {
    details: { transferId: t.id },
  });
}
