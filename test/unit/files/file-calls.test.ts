import { statfs } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { blockingCalls, callsForFileSystem, fileCallsByDirectory, threadPoolCalls } from '../../../src/adapters/files/file-calls.js';

describe('callsForFileSystem', () => {
  it('blocks on local file systems only', () => {
    expect(callsForFileSystem(0xef53)).toBe(blockingCalls); // ext4
    expect(callsForFileSystem(0x01021994)).toBe(blockingCalls); // tmpfs
    expect(callsForFileSystem(0x6969)).toBe(threadPoolCalls); // NFS
    expect(callsForFileSystem(0xff534d42)).toBe(threadPoolCalls); // CIFS
    expect(callsForFileSystem(0x65735546)).toBe(threadPoolCalls); // FUSE
    expect(callsForFileSystem(0x0bd00bd0)).toBe(threadPoolCalls); // Lustre
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
