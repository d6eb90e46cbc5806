import { statfs } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blockingCalls, callsForFileSystem, fileCallsByDirectory, threadPoolCalls } from '../../../src/adapters/files/file-calls.js';

describe('callsForFileSystem', () => {
  it.each([
    ['ext2/3/4', 0xef53],
    ['XFS', 0x58465342],
    ['Btrfs', 0x9123683e],
    ['tmpfs', 0x01021994],
    ['ZFS', 0x2fc12fc1],
    ['F2FS', 0xf2f52010],
    ['overlayfs', 0x794c7630],
  ])('blocks on %s, a local file system', (_, type) => {
    expect(callsForFileSystem(type)).toBe(blockingCalls);
  });

  it.each([
    ['NFS', 0x6969],
    ['CIFS', 0xff534d42],
    ['SMB2', 0xfe534d42],
    ['FUSE', 0x65735546],
    ['Lustre', 0x0bd00bd0],
    ['GPFS', 0x47504653],
    ['an unknown one', 0x12345678],
  ])('leaves %s to the thread pool', (_, type) => {
    expect(callsForFileSystem(type)).toBe(threadPoolCalls);
  });
});

describe('fileCallsByDirectory', () => {
  it("goes by the file's directory: a tmpfs gets blocking calls, asked once per directory", async () => {
    expect((await statfs('/dev/shm')).type).toBe(0x01021994);
    const callsFor = fileCallsByDirectory();
    const first = callsFor('/dev/shm/a.csv');
    expect(first).toBe(callsFor('/dev/shm/b.csv'));
    expect(await first).toBe(blockingCalls);
  });

  it('gives a directory it cannot ask the calls that cannot stall the daemon', async () => {
    expect(await fileCallsByDirectory()('/nonexistent-nocturne-dir/a.csv')).toBe(threadPoolCalls);
  });
});
