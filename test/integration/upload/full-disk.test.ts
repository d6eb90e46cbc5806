// What the FTP servers say reaches the user: a full disk (a small tmpfs mounted as the
// remote directory, seen by the rig's vsftpd and proftpd alike) and a directory the FTP
// user may not write to. The reply code and text stay in the error, 4xx is transient
// and 5xx permanent, storage full is named, and the partial a full disk leaves is removed.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { rig } from '../../../harness/rig.js';
import { worldsOfFile, type UploadWorld } from '../../../harness/upload-world.js';

const exec = promisify(execFile);
const worlds = worldsOfFile();
const mounted: string[] = [];

afterAll(async () => {
  // Unmounted first (lazily: a server session may still hold the directory), so that
  // the worlds can then remove their remote directories.
  for (const dir of mounted.splice(0)) await exec('umount', ['--lazy', dir]);
  await worlds.closeAll();
});

/**
 * The world's remote directory on a 256 KiB tmpfs owned by the FTP user, filled up to
 * the last block before the upload: a disk that fills during a transfer makes proftpd
 * answer "451 Input/output error" or "452" depending on where its writes fall.
 */
async function fullDisk(w: UploadWorld): Promise<string> {
  const dir = path.join(w.remoteLocal, 'sdoss/2014/02');
  await mkdir(dir, { recursive: true });
  const { uid, gid } = rig().ftp;
  await exec('mount', ['-t', 'tmpfs', '-o', `size=256k,mode=0755,uid=${uid},gid=${gid}`, 'tmpfs', dir]);
  mounted.push(dir);
  const filler = await open(path.join(dir, FILLER), 'w');
  try {
    for (;;) await filler.write(Buffer.alloc(4096));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await filler.close();
  }
  return dir;
}

const FILLER = 'filler.bin';

const csv = (n: number) => `sdoss_106_20140221T00000${n}_sdo_feat.csv`;

describe('a full disk on the server', () => {
  it('proftpd: 452 is named storage full, the run stops, partials are removed, files are counted', async () => {
    const w = await worlds.create('full-proftpd', { protocol: 'proftpd-ftp', target: { connections: 2 } });
    const dir = await fullDisk(w);
    const files = await Promise.all([1, 2, 3, 4, 5].map((n) => w.file(csv(n), 100_000)));
    const outcome = await w.run({ lanes: 1 });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_STORAGE_FULL', retryable: true });
    expect(outcome.error?.message).toMatch(
      /^target "archive": put .*\.partial: storage full on the server \(452 .*No space left on device\)/,
    );
    // The two files in flight on the two connections failed; the three others wait.
    expect(outcome.stats).toMatchObject({ files: 5, failed: 2, deleted: 0 });
    expect(outcome.summary).toMatch(/, 2 failed; 3 left in place for the next run: /);
    for (const f of files) expect(existsSync(f)).toBe(true);
    expect(await readdir(dir)).toEqual([FILLER]);
    const rows = await w.transfers();
    expect(rows.filter((r) => r.error_code === 'TRANSFER_STORAGE_FULL')).toHaveLength(2);
    expect(rows.filter((r) => r.error_code === null)).toHaveLength(3);
  });

  it('vsftpd: its 451 reply is kept (not EPIPE or Premature close) and the partial removed', async () => {
    const w = await worlds.create('full-vsftpd', { protocol: 'ftp', target: { connections: 1 } });
    const dir = await fullDisk(w);
    const file = await w.file(csv(1), 100_000);
    const outcome = await w.run({ retry: { attempts: 1, baseMs: 10, maxMs: 10 } });
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_FAILED', retryable: true });
    expect(outcome.error?.message).toMatch(/: server replied 451 Failure writing to local file\.$/);
    expect(existsSync(file)).toBe(true);
    expect(await readdir(dir)).toEqual([FILLER]);
  });
});

describe('a directory the FTP user may not write to', () => {
  it.each(['proftpd-ftp', 'ftp'] as const)('%s: the refusal is permanent and quoted', async (protocol) => {
    const w = await worlds.create(`denied-${protocol}`, { protocol });
    const dir = path.join(w.remoteLocal, 'sdoss/2014/02');
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    const file = await w.file(csv(1), 200_000);
    const outcome = await w.run();
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_FAILED', retryable: false });
    // proftpd: "550 <name>: Permission denied"; vsftpd: "553 Could not create file."
    expect(outcome.error?.message).toMatch(
      protocol === 'ftp' ? /server replied 553 Could not create file\./ : /server replied 550 .*: Permission denied/,
    );
    expect(outcome.stats).toMatchObject({ files: 1, failed: 1 });
    expect(existsSync(file)).toBe(true);
  });
});
