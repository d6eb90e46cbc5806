// `nocturne retry --stage upload`: a quarantined quicklook goes back to the outbox once
// it is replaced, and the next upload run sends it; one replaced by the same bad bytes
// (touched) is quarantined again, both attempts in its history.
import { existsSync } from 'node:fs';
import { link, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { retry } from '../../../src/operations/retry.js';
import { createUploadWorld, type UploadWorld } from '../../../harness/upload-world.js';

describe('retry of quarantined quicklooks', () => {
  let world: UploadWorld;
  beforeAll(async () => {
    world = await createUploadWorld('retryquarantine', {
      protocol: 'ftp',
      upload: { quicklooks: { check: true, width: 320, height: 240, thumbnailWidth: 80 } },
    });
  });
  afterAll(async () => world?.close());
  const retryDeps = (printed: string[]) => ({
    config: world.config,
    db: world.db.db,
    logger: createLogger({ level: 'silent' }),
    print: (l: string) => printed.push(l),
  });

  it('moves a replaced quicklook back for the next run, and leaves one not replaced where it is', async () => {
    await world.jpeg('fixed_20140221T000045.jpg', 100, 240);
    await world.jpeg('bad_20140221T000045.jpg', 100, 240);
    expect(await world.run()).toMatchObject({ ok: true, stats: { quarantined: 2 } });
    const printed: string[] = [];
    const deps = retryDeps(printed);
    const selection = { pipeline: 'sdoss', stages: ['upload' as const] };
    const q = (name: string) => path.join(world.quarantine, name);

    // Not replaced yet: listed, not retried.
    const waiting = await retry(deps, { selection, by: 'tester@rig' });
    expect(waiting.applied).toBeNull();
    expect(printed.filter((l) => l.startsWith('not now: '))).toHaveLength(2);
    expect(printed.at(-1)).toBe('sdoss: 0 item(s) to retry, 2 not now');

    // One replaced by a good quicklook; the other touched (the same bad bytes, sent again).
    await writeFile(
      q('fixed_20140221T000045.jpg'),
      await sharp({ create: { width: 320, height: 240, channels: 3, background: '#222' } })
        .jpeg()
        .toBuffer(),
    );
    const later = new Date(Date.now() + 5_000);
    await utimes(q('bad_20140221T000045.jpg'), later, later);
    const report = await retry(deps, { selection, by: 'tester@rig' });
    expect(report.applied?.retried.map((i) => path.basename(i.item)).sort()).toEqual([
      'bad_20140221T000045.jpg',
      'fixed_20140221T000045.jpg',
    ]);
    expect(report.applied?.unmoved).toEqual([]);
    for (const name of ['fixed_20140221T000045.jpg', 'bad_20140221T000045.jpg']) {
      expect(existsSync(path.join(world.outbox, name))).toBe(true);
      expect(existsSync(q(name))).toBe(false);
      expect(existsSync(`${q(name)}.reason.txt`)).toBe(false);
    }

    expect(await world.run()).toMatchObject({ ok: true, stats: { quarantined: 1, deleted: 2 } });
    expect(await world.remoteFiles()).toEqual(['sdoss/2014/02/fixed_20140221T000045.jpg', 'sdoss/2014/02/fixed_20140221T000045.thumb.jpg']);
    // Each attempt is a row of its own, in order.
    const attempts = (name: string) =>
      world.transfers().then((all) => all.filter((r) => r.kind === 'output' && path.basename(r.local_path) === name).map((r) => r.state));
    expect(await attempts('fixed_20140221T000045.jpg')).toEqual(['quarantined', 'deleted']);
    expect(await attempts('bad_20140221T000045.jpg')).toEqual(['quarantined', 'quarantined']);
    const note = await world.db.db.one<{ note: string }>(
      `SELECT e.note FROM transfer_events e JOIN transfers t ON t.id = e.transfer_id WHERE e.note LIKE 'retry #%' AND t.local_path LIKE '%bad_%'`,
    );
    expect(note.note).toMatch(/^retry #\d+ asked by tester@rig: moved back to \S+\/bad_20140221T000045\.jpg$/);

    // The one quarantined again waits for its own replacement.
    printed.length = 0;
    await retry(deps, { selection, by: 'tester@rig', dryRun: true });
    expect(printed).toEqual([
      expect.stringMatching(
        /^not now: upload quarantined \S+\/bad_20140221T000045\.jpg, failed \S+Z: not replaced since it was quarantined: put the corrected file at /,
      ),
      'sdoss: 0 item(s) to retry, 1 not now (dry run: nothing changed)',
    ]);
  });

  it('finishes a move back cut short after its link, asked again with the file at its outbox path', async () => {
    const name = 'cut_20140221T000045.jpg';
    await world.jpeg(name, 100, 240);
    expect(await world.run()).toMatchObject({ ok: true, stats: { quarantined: 1 } });
    const printed: string[] = [];
    const deps = retryDeps(printed);
    const selection = { pipeline: 'sdoss', stages: ['upload' as const], file: name };
    const q = path.join(world.quarantine, name);
    await writeFile(
      q,
      await sharp({ create: { width: 320, height: 240, channels: 3, background: '#333' } })
        .jpeg()
        .toBuffer(),
    );
    expect((await retry(deps, { selection, by: 'tester@rig' })).applied?.retried).toHaveLength(1);
    // What a kill between the link and the unlink leaves: the retry recorded, the file
    // under both names, its reason note still beside it.
    await link(path.join(world.outbox, name), q);
    await writeFile(`${q}.reason.txt`, 'quicklook too small');

    printed.length = 0;
    const again = await retry(deps, { selection, by: 'tester@rig' });
    expect(printed[0]).toMatch(
      /^retrying: upload quarantined \S+\/cut_20140221T000045\.jpg, failed \S+ \(retry #\d+ recorded, its move back cut short\)$/,
    );
    expect(again.applied).toMatchObject({ actionId: null, unmoved: [] });
    expect(again.applied?.retried.map((i) => path.basename(i.item))).toEqual([name]);
    expect(existsSync(q)).toBe(false);
    expect(existsSync(`${q}.reason.txt`)).toBe(false);
    expect(await world.run()).toMatchObject({ ok: true, stats: { deleted: 2 } });
    expect(existsSync(path.join(world.outbox, name))).toBe(false);
  });
});
