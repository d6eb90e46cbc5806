import type { Progress } from '../types.js';
import type { Transfer } from './transfer-ledger.js';

export interface UploadProgress {
  /** One file finished, well or not: counts it and its bytes. */
  fileDone(transfer: Transfer): void;
}

/** Files and bytes as a bar for the person watching `nocturne run ... --stage upload`. */
export function createUploadProgress(progress: Progress, work: readonly Transfer[]): UploadProgress {
  const totalFiles = work.length;
  const totalBytes = work.reduce((sum, t) => sum + t.sizeBytes, 0);
  let files = 0;
  let bytes = 0;
  const show = () =>
    progress.update({
      files: `${bar(files, totalFiles)} ${files}/${totalFiles}`,
      MB: `${megabytes(bytes)}/${megabytes(totalBytes)}`,
    });
  show();
  return {
    fileDone(transfer) {
      files += 1;
      bytes += transfer.sizeBytes;
      show();
    },
  };
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/** A bar of `width` cells filled in proportion: 1 of 4 → "[#####...............]". */
function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
