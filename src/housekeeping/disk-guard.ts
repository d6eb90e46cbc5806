import { statfs } from 'node:fs/promises';
import { formatBytes } from '../alerts/evaluate-local.js';
import { parseFreeSpace } from '../config/free-space.js';
import { NocturneError } from '../core/errors.js';
import type { StageOutcome } from '../stages/types.js';

/** Free space of the filesystem holding a directory. */
export interface DiskSpace {
  read(dir: string): Promise<{ freeBytes: number; totalBytes: number }>;
}

/** statfs(2): the space an unprivileged process may still use (f_bavail), as df shows it. */
export const statfsDiskSpace: DiskSpace = {
  async read(dir) {
    const fs = await statfs(dir);
    return { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  },
};

/**
 * The run stage's disk guard: DISK_LOW when the filesystem of `dir` (the outbox) has less
 * free space than `minFree` ("10GB", "500MiB" or "2%": retention.minFreeDisk), else null.
 * The outputs of new tasks land in the outbox; until the upload stage has emptied it,
 * starting more work would only fill the disk.
 */
export async function checkFreeDisk(space: DiskSpace, dir: string, minFree: string): Promise<NocturneError | null> {
  const { freeBytes, totalBytes } = await space.read(dir);
  const threshold = parseFreeSpace(minFree);
  const required = 'bytes' in threshold ? threshold.bytes : (totalBytes * threshold.percent) / 100;
  if (freeBytes >= required) return null;
  const shown = 'bytes' in threshold ? minFree : `${minFree} = ${formatBytes(required)}`;
  return new NocturneError(
    'DISK_LOW',
    `waiting for disk: ${formatBytes(freeBytes)} free under ${dir}, below retention.minFreeDisk (${shown}); nothing new is submitted until the upload stage (or a person) frees space`,
    { retryable: true, details: { dir, freeBytes, requiredBytes: required } },
  );
}

/** The run's outcome while the disk is low: skipped, not failed; what was found waits as pending. */
export function waitingForDisk(error: NocturneError, pending: number): StageOutcome {
  return {
    ok: false,
    skipped: true,
    stats: { waitingForDisk: 1, pending },
    summary: `${error.message} (${pending} observation(s) pending)`,
    error,
  };
}
