import { describe, expect, it } from 'vitest';
import { checkFreeDisk, waitingForDisk, type DiskSpace } from '../../../src/housekeeping/disk-guard.js';

/** A disk of `totalBytes` with `freeBytes` free, whatever the directory. */
const disk = (freeBytes: number, totalBytes = 1e12): DiskSpace & { asked: string[] } => {
  const asked: string[] = [];
  return {
    asked,
    read: async (dir) => {
      asked.push(dir);
      return { freeBytes, totalBytes };
    },
  };
};

describe('the disk guard', () => {
  it('lets the run start at or above the threshold, in bytes or as a share of the disk', async () => {
    expect(await checkFreeDisk(disk(10e9), '/srv/outbox', '10GB')).toBeNull();
    expect(await checkFreeDisk(disk(20e9, 1e12), '/srv/outbox', '2%')).toBeNull();
  });

  it('stops it below, with DISK_LOW naming the directory, the free space and the threshold', async () => {
    const space = disk(5e9, 1e12);
    const error = await checkFreeDisk(space, '/srv/outbox', '2%');
    expect(space.asked).toEqual(['/srv/outbox']);
    expect(error).toMatchObject({ code: 'DISK_LOW', retryable: true });
    expect(error?.message).toBe(
      'waiting for disk: 4.7 GiB free under /srv/outbox, below retention.minFreeDisk (2% = 18.6 GiB); nothing new is submitted until the upload stage (or a person) frees space',
    );
    expect((await checkFreeDisk(disk(499 * 2 ** 20), '/o', '500MiB'))?.message).toMatch(
      /^waiting for disk: 499.0 MiB free under \/o, below retention.minFreeDisk \(500MiB\)/,
    );
  });

  it('makes the run a skipped one, not a failure, with the pending observations in its summary', async () => {
    const error = (await checkFreeDisk(disk(0), '/o', '1GB'))!;
    expect(waitingForDisk(error, 12)).toEqual({
      ok: false,
      skipped: true,
      stats: { waitingForDisk: 1, pending: 12 },
      summary: `${error.message} (12 observation(s) pending)`,
      error,
    });
  });
});
