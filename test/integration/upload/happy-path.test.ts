// Stage upload end to end against each real target: files land at their final remote
// names with the right bytes, thumbnails beside their quicklooks, every local copy is
// deleted only after the full sequence of recorded states, and a second run has nothing to do.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createUploadWorld, type Protocol, type UploadWorld } from '../../../harness/upload-world.js';

const cases: Array<[Protocol, string, string]> = [
  ['ftp', 'size', 'size'],
  ['ftps', 'sha256-readback', 'size+sha256-readback'],
  // vsftpd and OpenSSH offer no server-side hash: the fallback is recorded as such.
  ['sftp', 'server-hash', 'size+sha256-readback(no-server-hash)'],
  ['local', 'sha256-readback', 'size+sha256-readback'],
];

describe.each(cases)('upload over %s (verify: %s)', (protocol, verify, method) => {
  let world: UploadWorld;
  afterAll(async () => world?.close());

  it('uploads, verifies, renames, re-checks and only then deletes every file', async () => {
    world = await createUploadWorld(`happy-${protocol}`, {
      protocol,
      upload: { verify, quicklooks: { check: true, thumbnailWidth: 64 } },
    });
    const csv = await world.file('sdoss_106_20140221T000045_sdo_feat.csv', 'a,b\n1,2\n');
    const big = await world.file('sdoss_106_20140221T000045_sdo_init.csv', 3 * 1024 * 1024 + 11);
    const nested = await world.file('obs/sdoss_106_20131231T235959_sdo_feat.csv', 777);
    const jpg = await world.jpeg('hmi.ic_45s.20140221_000045_TAI.continuum.jpg', 320, 240);
    // Its name has no YYYYMMDDTHHMMSS stamp: it goes under its mtime's month (UTC), which a
    // Date taken after the run is not for a test run across the turn of a month.
    const { mtime } = statSync(path.join(world.outbox, 'hmi.ic_45s.20140221_000045_TAI.continuum.jpg'));
    await world.file('.tmp-run-123/partial.csv', 'the run stage is still writing this');
    await world.file('notes.txt', 'not included');
    const bodies = new Map([csv, big, nested].map((f) => [f, readFileSync(f)]));

    const outcome = await world.run();
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({
      ok: true,
      stats: { files: 5, verified: 5, deleted: 5, quarantined: 0, failed: 0 },
    });
    expect(outcome.stats['bytes']).toBeGreaterThan(3 * 1024 * 1024);

    const quicklookDir = `sdoss/${mtime.getUTCFullYear()}/${String(mtime.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(await world.remoteFiles()).toEqual(
      [
        'sdoss/2013/12/obs/sdoss_106_20131231T235959_sdo_feat.csv',
        'sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv',
        'sdoss/2014/02/sdoss_106_20140221T000045_sdo_init.csv',
        `${quicklookDir}/hmi.ic_45s.20140221_000045_TAI.continuum.jpg`,
        `${quicklookDir}/hmi.ic_45s.20140221_000045_TAI.continuum.thumb.jpg`,
      ].sort(),
    );
    const remote = (rel: string) => readFileSync(path.join(world.remoteLocal, rel));
    expect(remote('sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv').equals(bodies.get(csv)!)).toBe(true);
    expect(remote('sdoss/2014/02/sdoss_106_20140221T000045_sdo_init.csv').equals(bodies.get(big)!)).toBe(true);
    expect(remote('sdoss/2013/12/obs/sdoss_106_20131231T235959_sdo_feat.csv').equals(bodies.get(nested)!)).toBe(true);
    expect(remote(`${quicklookDir}/hmi.ic_45s.20140221_000045_TAI.continuum.jpg`).equals(jpg)).toBe(true);
    const thumb = await sharp(remote(`${quicklookDir}/hmi.ic_45s.20140221_000045_TAI.continuum.thumb.jpg`)).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['jpeg', 64, 48]);

    for (const file of [csv, big, nested]) {
      expect(existsSync(file)).toBe(false);
      expect(await world.history(file)).toEqual(['discovered', 'uploading', 'verified', 'renamed', 'checked', 'deleted']);
    }
    expect(existsSync(path.join(world.outbox, '.tmp-run-123/partial.csv'))).toBe(true);
    expect(existsSync(path.join(world.outbox, 'notes.txt'))).toBe(true);
    const rows = await world.transfers();
    expect(rows.map((r) => [r.kind, r.state, r.verify_method, r.partial_path, r.attempts])).toEqual(
      rows.map((r) => [r.kind, 'deleted', method, null, 1]),
    );
    expect(rows.filter((r) => r.kind === 'thumbnail')).toHaveLength(1);
  });

  it('has nothing left to do on the next run', async () => {
    const outcome = await world.run();
    expect(outcome).toMatchObject({ ok: true, stats: { files: 0, bytes: 0, deleted: 0 } });
    expect(await world.remoteFiles()).toHaveLength(5);
  });
});
