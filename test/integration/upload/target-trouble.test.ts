// When the target misbehaves: a remote copy altered before verification, vsftpd
// stopped in the middle of a batch, a target that is down or refuses our password.
// Local copies stay until a later run has verified them; errors name the target.
import { existsSync, readFileSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rig, startService, stopService } from '../../../harness/rig.js';
import { worldsOfFile } from '../../../harness/upload-world.js';

const worlds = worldsOfFile();
const world = worlds.create;
afterAll(worlds.closeAll);

describe('remote copy altered between upload and verification', () => {
  it.each(['size', 'sha256-readback'] as const)(
    'verify %s: local copy kept, error recorded, partial removed; the next run succeeds',
    async (verify) => {
      const w = await world(`alter-${verify}`, { protocol: 'ftp', upload: { verify } });
      const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 50_000);
      const body = readFileSync(file);
      const root = rig().ftp.root;
      const outcome = await w.run({
        hooks: {
          async beforeVerify(t) {
            const partial = path.join(root, t.partialPath!);
            // Same size, other bytes for the hash check; a shorter file for the size check.
            if (verify === 'size') await truncate(partial, 1000);
            else await writeFile(partial, Buffer.alloc(body.length, 7));
          },
        },
      });
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatchObject({ code: 'TRANSFER_VERIFY_MISMATCH' });
      expect(outcome.error?.message).toContain(file);
      expect(outcome.error?.message).toContain('target "archive"');
      expect(outcome.stats).toMatchObject({ failed: 1, deleted: 0 });
      expect(existsSync(file)).toBe(true);
      const [row] = await w.transfers();
      expect(row).toMatchObject({ state: 'discovered', error_code: 'TRANSFER_VERIFY_MISMATCH', partial_path: null });
      expect(row!.error).toMatch(
        verify === 'size' ? /1000 bytes on the server, 50000 bytes locally/ : /SHA-256 [0-9a-f]{64} on the server/,
      );
      expect(await w.remoteFiles()).toEqual([]);

      const again = await w.run();
      expect(again).toMatchObject({ ok: true, stats: { deleted: 1 } });
      expect(readFileSync(path.join(w.remoteLocal, 'sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv')).equals(body)).toBe(true);
      expect((await w.transfers())[0]).toMatchObject({ state: 'deleted', error_code: null, attempts: 2 });
    },
  );
});

describe('vsftpd stopped in the middle of a batch', () => {
  it('keeps every file not yet verified and uploads it on the next run', async () => {
    const w = await world('ftpdown', { protocol: 'ftp' });
    const files = await Promise.all(
      Array.from({ length: 24 }, (_, i) => w.file(`sdoss_106_20140221T0000${String(i).padStart(2, '0')}_sdo_feat.csv`, 300_000)),
    );
    const bodies = new Map(files.map((f) => [f, readFileSync(f)]));
    let stopping: Promise<void> | null = null;
    const outcome = await w
      .run({
        retry: { attempts: 2, baseMs: 50, maxMs: 100 },
        // One file per connection: before the server goes, each connection takes at most
        // one file and, after, at most one more, so most of the 24 are still to start
        // (with 4 files per connection, fast uploads could take all 24 and leave none).
        lanes: 1,
        hooks: {
          afterState(t) {
            // The first file done: the server goes away under the other connections,
            // and uploads about to start wait until it is really down.
            if (t.state === 'deleted' && !stopping) stopping = stopService('vsftpd');
            if (t.state === 'deleted' || t.state === 'uploading') return stopping ?? undefined;
            return undefined;
          },
        },
      })
      .finally(async () => {
        if (stopping) await stopping.finally(() => startService('vsftpd'));
      });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_FAILED', retryable: true });
    expect(outcome.error?.message).toContain('target "archive"');
    expect(outcome.summary).toMatch(/left in place for the next run/);
    const rows = await w.transfers();
    const remaining = files.filter((f) => existsSync(f));
    expect(remaining.length).toBeGreaterThan(0);
    // Only files whose row reached 'deleted' are gone locally.
    for (const f of files) expect(existsSync(f)).toBe(rows.find((r) => r.local_path === f)?.state !== 'deleted');

    const again = await w.run();
    expect(again.error).toBeUndefined();
    expect(again).toMatchObject({ ok: true, stats: { deleted: remaining.length, failed: 0 } });
    for (const [f, body] of bodies) {
      expect(existsSync(f)).toBe(false);
      expect(readFileSync(path.join(w.remoteLocal, 'sdoss/2014/02', path.basename(f))).equals(body)).toBe(true);
    }
    expect((await w.remoteFiles()).filter((f) => f.includes('.partial'))).toEqual([]);
  });
});

describe('a target that cannot be used', () => {
  it('down from the start: files left in place, a retryable error naming the target', async () => {
    const w = await world('down', { protocol: 'sftp', target: { port: 1 } });
    const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv');
    const outcome = await w.run();
    expect(outcome).toMatchObject({ ok: false, stats: { files: 1, deleted: 0 } });
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_FAILED', retryable: true });
    expect(outcome.error?.message).toMatch(/^target "archive": connect 127\.0\.0\.1:1: /);
    expect(existsSync(file)).toBe(true);
    expect((await w.transfers())[0]).toMatchObject({ state: 'discovered', error_code: 'TRANSFER_FAILED' });
  });

  it('wrong password: TRANSFER_AUTH_FAILED naming the target, no retry storm, files kept', async () => {
    process.env['NOCTURNE_TEST_UPLOAD_BAD_PASSWORD'] = 'wrong-wrong';
    const w = await world('authfail', { protocol: 'ftps', target: { password: { env: 'NOCTURNE_TEST_UPLOAD_BAD_PASSWORD' } } });
    const files = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => w.file(`sdoss_106_20140221T00000${n}_sdo_feat.csv`)));
    const started = Date.now();
    const outcome = await w.run({ retry: { attempts: 5, baseMs: 2_000, maxMs: 2_000 } });
    // vsftpd answers a bad password after ~3 s (PAM delay); five tries 2 s apart would take > 20 s.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ code: 'TRANSFER_AUTH_FAILED', retryable: false });
    expect(outcome.error?.message).toMatch(/^target "archive": connect .*login refused \(530/);
    expect(JSON.stringify(await w.transfers())).not.toContain('wrong-wrong');
    for (const f of files) expect(existsSync(f)).toBe(true);
  });
});
