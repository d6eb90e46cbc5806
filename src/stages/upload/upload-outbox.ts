import { coerceError, NocturneError } from '../../core/errors.js';
import type { RemoteStore } from '../../adapters/transfer/remote-store.js';
import type { StageContext, StageOutcome } from '../types.js';
import type { LocalFiles } from './local-files.js';
import type { PassedOver } from '../../adapters/files/walk-files.js';
import { warnPassedOver } from '../../log/first-sighting.js';
import { listOutbox, type OutboxFile } from './outbox.js';
import { prepareNewFiles, type Quicklooks } from './prepare.js';
import { createUploadProgress } from './upload-progress.js';
import { DEFAULT_RETRY, runPool, type RetryPolicy } from './upload-pool.js';
import { uploadSettings, type UploadSettings } from './upload-settings.js';
import { remotePathFor } from './remote-dir.js';
import type { Transfer, TransferLedger } from './transfer-ledger.js';
import { driveTransfer, sameFile, type TransferSlot, type UploadHooks } from './verified-upload.js';

export interface UploadDeps {
  store: RemoteStore;
  ledger: TransferLedger;
  files: LocalFiles;
  quicklooks: Quicklooks;
  connections: number;
  /** Files in flight per connection (default DEFAULT_LANES). */
  lanes?: number;
  retry?: RetryPolicy;
  hooks?: UploadHooks;
}

/**
 * One run of the upload stage: resume what earlier runs left unfinished, take in what
 * waits in the outbox, and drive every file through verified deletion over the target's
 * connections. Whatever fails stays where it is, recorded, for the next run.
 */
export async function uploadOutbox(ctx: StageContext, deps: UploadDeps): Promise<StageOutcome> {
  const settings = uploadSettings(ctx);
  const { pipeline, target } = settings;
  const pending = await deps.ledger.pending(pipeline, target);
  const byPath = new Map(pending.map((t) => [t.localPath, t]));
  const { files: found, passedOver } = await listOutbox(settings.outbox, settings.config.include, deps.files);
  const fresh = found.filter((f) => !byPath.has(f.path));
  warnPassedOver(ctx.logger, `${pipeline}/upload`, passedOver, 'outbox entry not uploaded');

  if (ctx.dryRun) return dryRun(ctx, settings, pending, fresh, passedOver);

  const work: Transfer[] = [];
  const listed = new Map(found.map((f) => [f.path, f]));
  for (const t of pending) {
    if (t.state !== 'kept') {
      work.push(t);
      continue;
    }
    // Kept (deleteAfterVerify: false): done, unless the file changed or went away since.
    const local = listed.get(t.localPath) ?? (await deps.files.stat(t.localPath));
    if (!local) await deps.ledger.move(t, 'missing', { note: 'the kept local file was removed' });
    else if (!sameFile(local, t)) work.push(await deps.ledger.move(t, 'discovered', { note: 'the kept local file changed' }));
  }
  const prepared = await prepareNewFiles(fresh, {
    settings,
    ledger: deps.ledger,
    files: deps.files,
    quicklooks: deps.quicklooks,
    clock: ctx.clock,
    logger: ctx.logger,
    pendingPaths: new Set(byPath.keys()),
    signal: ctx.signal,
    hooks: deps.hooks,
  });
  work.push(...prepared.added);

  const progress = createUploadProgress(ctx.progress, work);
  const stats = {
    files: work.length,
    bytes: 0,
    verified: 0,
    deleted: 0,
    quarantined: prepared.quarantined,
    failed: 0,
    passedOver: passedOver.length,
  };
  const machine = {
    ledger: deps.ledger,
    files: deps.files,
    verify: settings.config.verify,
    deleteAfterVerify: settings.config.deleteAfterVerify,
    signal: ctx.signal,
    hooks: deps.hooks,
  };
  let firstFailure: NocturneError | null = null;
  const report = await runPool(
    work.map((transfer): TransferSlot => ({ transfer })),
    {
      store: deps.store,
      connections: deps.connections,
      ...(deps.lanes === undefined ? {} : { lanes: deps.lanes }),
      signal: ctx.signal,
      retry: deps.retry ?? DEFAULT_RETRY,
    },
    async (slot, session) => {
      const before = slot.transfer.state;
      const { uploadedBytes } = await driveTransfer(slot, session, machine);
      stats.bytes += uploadedBytes;
      const end = slot.transfer.state;
      if (end === 'deleted' || end === 'kept') stats.verified += before === 'checked' ? 0 : 1;
      if (end === 'deleted') stats.deleted += 1;
      if (end === 'deleted' || end === 'kept') ctx.events?.emit({ type: 'file', path: slot.transfer.localPath, state: end });
      ctx.logger.debug({ file: slot.transfer.localPath, remotePath: slot.transfer.remotePath, state: end }, 'file archived');
      progress.fileDone(slot.transfer);
    },
    async (slot, error) => {
      firstFailure ??= error;
      ctx.logger.error({ err: error, file: slot.transfer.localPath, state: slot.transfer.state }, 'file not uploaded');
      slot.transfer = await deps.ledger.fail(slot.transfer, error);
      progress.fileDone(slot.transfer);
    },
  );
  stats.failed = report.failed + prepared.failures.length;
  const notDone = report.notDone + prepared.notPrepared;
  return outcome(stats, notDone, report.fatal ?? firstFailure ?? prepared.failures[0] ?? null, target, ctx.signal.aborted);
}

function outcome(
  stats: Record<string, number>,
  notDone: number,
  firstError: NocturneError | null,
  target: string,
  stopped: boolean,
): StageOutcome {
  const passedOver = stats['passedOver']
    ? `, ${stats['passedOver']} passed over (links, special files or unusable names: see the log)`
    : '';
  const counts = `${stats['files']} files, ${stats['deleted']} deleted after verification, ${stats['quarantined']} quarantined, ${stats['failed']} failed${passedOver}`;
  const left = notDone > 0 ? `; ${notDone} left in place for the next run` : '';
  if (stats['failed'] === 0 && notDone === 0) return { ok: true, stats, summary: `${counts} → target "${target}"` };
  const error =
    firstError ?? new NocturneError('ABORTED', `upload to target "${target}" ${stopped ? 'stopped on request' : 'did not finish'}${left}`);
  return { ok: false, stats, summary: `${counts}${left}: ${error.message}`, error };
}

function dryRun(
  ctx: StageContext,
  settings: UploadSettings,
  pending: readonly Transfer[],
  fresh: readonly OutboxFile[],
  passedOver: readonly PassedOver[],
): StageOutcome {
  const { target, config } = settings;
  for (const entry of passedOver) ctx.print(`pass over ${entry.path}: ${entry.why}`);
  for (const t of pending) ctx.print(`resume   ${t.localPath} → ${target}:${t.remotePath} (${t.state})`);
  for (const f of fresh) {
    let remote: string;
    try {
      remote = remotePathFor(config.remoteDir, settings.values, f);
    } catch (err) {
      ctx.print(`refuse   ${f.path}: ${coerceError(err).message}`);
      continue;
    }
    const checked = config.quicklooks.check && /\.jpe?g$/i.test(f.path) ? ' (quicklook checked first)' : '';
    ctx.print(`upload   ${f.path} → ${target}:${remote}${checked}`);
  }
  return {
    ok: true,
    stats: { files: pending.length + fresh.length, bytes: 0, verified: 0, deleted: 0, quarantined: 0, failed: 0 },
    summary: `dry run: ${pending.length} to resume, ${fresh.length} new, nothing changed`,
  };
}
