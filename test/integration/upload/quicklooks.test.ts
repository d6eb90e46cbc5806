// Quicklooks are decoded with sharp before upload: truncated, non-JPEG and wrongly
// sized ones are quarantined with their reason (in the database and beside the file),
// never uploaded, and the rest of the batch goes on.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkQuicklook } from '../../../src/adapters/images/quicklook-check.js';
import { inflatedJpeg } from '../../../harness/inflated-jpeg.js';
import { createUploadWorld, type UploadWorld } from '../../../harness/upload-world.js';

describe('quicklook checks', () => {
  let world: UploadWorld;
  beforeAll(async () => {
    world = await createUploadWorld('quicklooks', {
      protocol: 'ftp',
      upload: { quicklooks: { check: true, width: 320, height: 240, thumbnailWidth: 80 } },
    });
  });
  afterAll(async () => world?.close());

  it('quarantines bad quicklooks with their reason and uploads the good ones', async () => {
    const good = await world.jpeg('good_20140221T000045.jpg', 320, 240);
    const whole = await world.jpeg('truncated_20140221T000045.jpg', 320, 240);
    await world.file('truncated_20140221T000045.jpg', whole.subarray(0, Math.floor(whole.length * 0.6)));
    await world.file('text_20140221T000045.jpg', 'date,x\n2014-02-21,1\n');
    await world.jpeg('small_20140221T000045.jpg', 100, 240);
    const csv = await world.file('sdoss_106_20140221T000045_sdo_feat.csv', 'a\n1\n');

    const outcome = await world.run();
    expect(outcome).toMatchObject({ ok: true, stats: { quarantined: 3, failed: 0, deleted: 3, files: 3 } });
    expect(await world.remoteFiles()).toEqual([
      'sdoss/2014/02/good_20140221T000045.jpg',
      'sdoss/2014/02/good_20140221T000045.thumb.jpg',
      'sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv',
    ]);
    expect(readFileSync(path.join(world.remoteLocal, 'sdoss/2014/02/good_20140221T000045.jpg')).equals(good)).toBe(true);
    expect(existsSync(csv)).toBe(false);

    const reasons: Record<string, RegExp> = {
      // libjpeg's words depend on where the cut falls (premature end, corrupt data...).
      'truncated_20140221T000045.jpg': /cannot be decoded: ./,
      'text_20140221T000045.jpg': /cannot be decoded: .*unsupported image format/i,
      'small_20140221T000045.jpg': /wrong dimensions: width 100 px, expected 320/,
    };
    const rows = (await world.transfers()).filter((r) => r.state === 'quarantined');
    expect(rows.map((r) => path.basename(r.local_path)).sort()).toEqual(Object.keys(reasons).sort());
    for (const row of rows) {
      const name = path.basename(row.local_path);
      expect(row.quarantine_path).toBe(path.join(world.quarantine, name));
      expect(row.error_code).toBe('QUICKLOOK_INVALID');
      expect(row.error).toMatch(reasons[name]!);
      expect(existsSync(row.local_path)).toBe(false);
      expect(existsSync(row.quarantine_path!)).toBe(true);
      const note = readFileSync(`${row.quarantine_path}.reason.txt`, 'utf8');
      expect(note).toContain(`file: ${row.local_path}`);
      expect(note).toMatch(reasons[name]!);
    }
  });

  it('gives one reason for a JPEG cut inside its headers, however many are decoded at once', async () => {
    // libvips shares one error buffer between threads: its words alone came out cut short.
    const whole = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#345' } })
      .jpeg()
      .toBuffer();
    const dir = await mkdtemp(path.join(tmpdir(), 'nocturne-cut-'));
    const cut = path.join(dir, 'cut.jpg');
    await writeFile(cut, whole.subarray(0, 200));
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => checkQuicklook(cut, { maxPixels: 8192 * 8192, decode: true })));
    await rm(dir, { recursive: true });
    const reasons = new Set(verdicts.map((v) => (v.ok ? 'ok' : v.reason.replace(/ \(libvips: .*$/, ''))));
    expect([...reasons]).toEqual(['cannot be decoded: the JPEG breaks off before its image data']);
  });

  it('keeps an earlier quarantined file when a new bad one of the same name arrives', async () => {
    await world.file('text_20140221T000045.jpg', 'still not an image');
    const outcome = await world.run();
    expect(outcome).toMatchObject({ ok: true, stats: { quarantined: 1 } });
    const rows = (await world.transfers()).filter((r) => r.local_path.endsWith('text_20140221T000045.jpg'));
    expect(rows).toHaveLength(2);
    expect(rows[1]!.quarantine_path).not.toBe(rows[0]!.quarantine_path);
    expect(readFileSync(rows[0]!.quarantine_path!, 'utf8')).toBe('date,x\n2014-02-21,1\n');
    expect(readFileSync(rows[1]!.quarantine_path!, 'utf8')).toBe('still not an image');
  });

  it('quarantines inflated JPEGs: over the pixel limit from the header alone, under it by their short data', async () => {
    const huge = await world.file('huge_20140221T000045.jpg', await inflatedJpeg(16000, 16000));
    await world.file('thin_20140221T000045.jpg', await inflatedJpeg(320, 240));
    const outcome = await world.run();
    expect(outcome).toMatchObject({ ok: true, stats: { quarantined: 2, files: 0 } });
    const rows = (await world.transfers())
      .filter((r) => /(huge|thin)_/.test(r.local_path))
      .sort((a, b) => a.local_path.localeCompare(b.local_path));
    expect(rows.map((r) => [path.basename(r.local_path), r.state, r.error_code])).toEqual([
      ['huge_20140221T000045.jpg', 'quarantined', 'QUICKLOOK_INVALID'],
      ['thin_20140221T000045.jpg', 'quarantined', 'QUICKLOOK_INVALID'],
    ]);
    expect(rows[0]!.error).toBe('quicklook header claims 16000 × 16000 px, more than quicklooks.maxPixels (67108864): not decoded');
    expect(readFileSync(`${rows[0]!.quarantine_path}.reason.txt`, 'utf8')).toContain(`file: ${huge}`);
    expect(rows[1]!.error).toMatch(
      /^quicklook image data shorter than its header claims: \d+ bytes for 320 × 240 px, which need at least 150: not decoded$/,
    );
    expect(await world.remoteFiles()).not.toContainEqual(expect.stringMatching(/huge|thin/));
  });
});

describe('the data-length bound', () => {
  let world: UploadWorld;
  beforeAll(async () => {
    world = await createUploadWorld('flat', { protocol: 'local', upload: { quicklooks: { check: true } } });
  });
  afterAll(async () => world?.close());

  it('passes the most compressible real JPEG: a flat 2048 × 2048 image from mozjpeg (progressive, optimised codes)', async () => {
    const flat = await sharp({ create: { width: 2048, height: 2048, channels: 3, background: '#808080' } })
      .jpeg({ mozjpeg: true, quality: 30 })
      .toBuffer();
    await world.file('flat_20140221T000045.jpg', flat);
    expect(await world.run()).toMatchObject({ ok: true, stats: { quarantined: 0, deleted: 1 } });
  });
});

describe('quicklooks not checked but thumbnailed', () => {
  let world: UploadWorld;
  beforeAll(async () => {
    world = await createUploadWorld('thumbs-only', {
      protocol: 'local',
      upload: { quicklooks: { check: false, thumbnailWidth: 64, maxPixels: 1_000_000 } },
    });
  });
  afterAll(async () => world?.close());

  it('still refuses to decode a JPEG over the pixel limit: quarantined, the others thumbnailed', async () => {
    await world.file('huge_20140221T000045.jpg', await inflatedJpeg(1001, 1000));
    await world.jpeg('good_20140221T000045.jpg', 320, 240);
    const outcome = await world.run();
    expect(outcome).toMatchObject({ ok: true, stats: { quarantined: 1, deleted: 2 } });
    expect(await world.remoteFiles()).toEqual(['sdoss/2014/02/good_20140221T000045.jpg', 'sdoss/2014/02/good_20140221T000045.thumb.jpg']);
    const [row] = (await world.transfers()).filter((r) => r.state === 'quarantined');
    expect(row!.error).toMatch(/header claims 1001 × 1000 px, more than quicklooks.maxPixels \(1000000\)/);
  });
});
