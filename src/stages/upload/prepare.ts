import path from 'node:path';
import type { Clock } from '../../core/clock.js';
import { coerceError, NocturneError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { checkQuicklook, type QuicklookExpectation, type QuicklookVerdict } from '../../adapters/images/quicklook-check.js';
import { writeThumbnail } from '../../adapters/images/thumbnail.js';
import { joinRemote } from '../../adapters/transfer/remote-paths.js';
import type { LocalFiles } from './local-files.js';
import type { OutboxFile } from './outbox.js';
import { moveToQuarantine, quarantinePathFor } from './quarantine.js';
import { remotePathFor } from './remote-dir.js';
import type { NewTransfer, QuarantineCode, Transfer, TransferLedger } from './transfer-ledger.js';
import type { UploadHooks } from './verified-upload.js';
import type { UploadSettings } from './upload-settings.js';

/** The image work of the stage, behind an interface so unit tests need no JPEGs. */
export interface Quicklooks {
  check(file: string, expected: QuicklookExpectation): Promise<QuicklookVerdict>;
  thumbnail(source: string, dest: string, width: number, maxPixels: number): Promise<unknown>;
}

export const sharpQuicklooks: Quicklooks = { check: checkQuicklook, thumbnail: writeThumbnail };

export interface PrepareDeps {
  settings: UploadSettings;
  ledger: TransferLedger;
  files: LocalFiles;
  quicklooks: Quicklooks;
  clock: Clock;
  logger: Logger;
  /** Local paths with an unfinished row: a thumbnail still pending is not remade. */
  pendingPaths: ReadonlySet<string>;
  signal: AbortSignal;
  hooks?: UploadHooks | undefined;
}

export interface PrepareResult {
  added: Transfer[];
  quarantined: number;
  failures: NocturneError[];
  /** Files left in the outbox unrecorded because the stage was stopped meanwhile. */
  notPrepared: number;
}

/** sharp decodes on the libuv pool; 4 at once reach ~0.9× its best throughput here. */
const IMAGE_CONCURRENCY = 4;

/**
 * Turns newly seen outbox files into transfer rows: JPEGs are decoded first and a bad
 * one is quarantined (DB row first, then the move, so it is never lost track of); a
 * thumbnail is made for a good one when configured. All rows are then recorded in one
 * transaction, a quicklook with its thumbnail.
 */
export async function prepareNewFiles(found: readonly OutboxFile[], deps: PrepareDeps): Promise<PrepareResult> {
  const result: PrepareResult = { added: [], quarantined: 0, failures: [], notPrepared: 0 };
  const rows: NewTransfer[] = [];
  const queue = [...found];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined && !deps.signal.aborted; file = queue.shift()) {
      try {
        rows.push(...(await rowsFor(file, deps, result)));
      } catch (err) {
        const error = coerceError(err);
        if (deps.signal.aborted) return;
        deps.logger.error({ err: error, file: file.path }, 'file not prepared for upload');
        result.failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: IMAGE_CONCURRENCY }, worker));
  if (deps.signal.aborted) {
    // None recorded: every file neither quarantined nor failed is still in the outbox, for the next run.
    result.notPrepared = found.length - result.quarantined - result.failures.length;
    return result;
  }
  result.added = await deps.ledger.add(rows);
  for (const transfer of result.added) await deps.hooks?.afterState?.(transfer);
  return result;
}

/** The rows for one file (with its thumbnail first), or none when it was quarantined. */
async function rowsFor(file: OutboxFile, deps: PrepareDeps, result: PrepareResult): Promise<NewTransfer[]> {
  const { settings } = deps;
  const row: NewTransfer = {
    pipeline: settings.pipeline,
    target: settings.target,
    kind: 'output',
    localPath: file.path,
    sizeBytes: file.sizeBytes,
    mtimeMs: file.mtimeMs,
    remotePath: '',
  };
  let remotePath: string;
  try {
    remotePath = remotePathFor(settings.config.remoteDir, settings.values, file);
  } catch (err) {
    if (err instanceof NocturneError && err.code === 'PATH_UNSAFE') {
      return quarantine(file, row, { code: 'PATH_UNSAFE', reason: err.message }, deps, result);
    }
    throw err;
  }
  const isJpeg = /\.jpe?g$/i.test(file.path);
  const { quicklooks } = settings.config;
  const thumbnailWidth = isJpeg && !/\.thumb\.jpe?g$/i.test(file.path) ? quicklooks.thumbnailWidth : undefined;
  const thumbnail = thumbnailWidth === undefined ? null : thumbnailTarget(file, remotePath, deps);
  // A JPEG the stage decodes (to check it or for its thumbnail) must pass the pixel limit first.
  if (isJpeg && (quicklooks.check || thumbnailWidth !== undefined)) {
    const verdict = await deps.quicklooks.check(file.path, {
      maxPixels: quicklooks.maxPixels,
      decode: quicklooks.check,
      width: quicklooks.width,
      height: quicklooks.height,
      // One decode for the check and the thumbnail.
      ...(thumbnail && thumbnailWidth !== undefined ? { thumbnail: { dest: thumbnail.local, width: thumbnailWidth } } : {}),
    });
    if (!verdict.ok) {
      return quarantine(file, { ...row, remotePath }, { code: 'QUICKLOOK_INVALID', reason: `quicklook ${verdict.reason}` }, deps, result);
    }
  }
  const rows: NewTransfer[] = [{ ...row, remotePath }];
  if (thumbnail && thumbnailWidth !== undefined) {
    // The check made it already when it decoded the data.
    if (!quicklooks.check) await deps.quicklooks.thumbnail(file.path, thumbnail.local, thumbnailWidth, quicklooks.maxPixels);
    rows.unshift(await thumbnailRow(file, thumbnail, deps));
  }
  return rows;
}

interface ThumbnailTarget {
  local: string;
  remotePath: string;
}

/** Where the thumbnail of `file` is made and goes; null when one of an earlier version is still pending. */
function thumbnailTarget(file: OutboxFile, remotePath: string, deps: PrepareDeps): ThumbnailTarget | null {
  const name = `${path.parse(file.path).name}.thumb.jpg`;
  const local = path.join(deps.settings.thumbnails, path.dirname(file.relative), name);
  if (deps.pendingPaths.has(local)) {
    deps.logger.warn({ file: file.path, thumbnail: local }, 'thumbnail of an earlier version still pending: not remade');
    return null;
  }
  return { local, remotePath: joinRemote(path.posix.dirname(remotePath), name) };
}

async function thumbnailRow(file: OutboxFile, thumbnail: ThumbnailTarget, deps: PrepareDeps): Promise<NewTransfer> {
  const info = await deps.files.stat(thumbnail.local);
  if (!info) throw new NocturneError('INTERNAL', `thumbnail ${thumbnail.local} of ${file.path} was not written`);
  return {
    pipeline: deps.settings.pipeline,
    target: deps.settings.target,
    kind: 'thumbnail',
    localPath: thumbnail.local,
    ...info,
    remotePath: thumbnail.remotePath,
  };
}

async function quarantine(
  file: OutboxFile,
  row: NewTransfer,
  { code, reason }: { code: QuarantineCode; reason: string },
  deps: PrepareDeps,
  result: PrepareResult,
): Promise<NewTransfer[]> {
  const now = deps.clock.now();
  const dest = await quarantinePathFor(deps.settings.quarantine, file.relative, now);
  // Recorded first: a crash before the move leaves the file in the outbox, checked again next run.
  await deps.ledger.quarantine(row, dest, code, reason);
  await moveToQuarantine(file.path, dest, reason, now);
  deps.logger.warn({ file: file.path, quarantine: dest, reason }, 'file quarantined');
  result.quarantined += 1;
  return [];
}
