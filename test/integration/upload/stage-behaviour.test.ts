// The stage as the CLI and the scheduler run it: through executeStage (run history),
// dry-run listing, deleteAfterVerify: false, and a stop request in the middle of a batch.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { executeStage } from '../../../src/stages/execute.js';
import { worldsOfFile } from '../../../harness/upload-world.js';

const worlds = worldsOfFile();
const world = worlds.create;
afterAll(worlds.closeAll);

describe('upload stage', () => {
  it('runs through executeStage: recorded in runs, counters in its stats', async () => {
    const w = await world('execute', { protocol: 'local' });
    await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 1000);
    await w.file('sdoss_106_20140221T000045_sdo_init.csv', 500);
    const updates: Array<Record<string, string | number>> = [];
    const result = await executeStage(
      {
        config: w.config,
        db: w.db.db,
        logger: createLogger({ level: 'silent' }),
        progress: { update: (c) => updates.push(c), done() {} },
      },
      { pipeline: 'sdoss', stage: 'upload', slot: new Date('2014-02-22T03:00:00Z'), trigger: 'manual' },
    );
    expect(result).toMatchObject({ kind: 'done', outcome: { ok: true } });
    const run = await w.db.db.one<{ state: string; stats: Record<string, number> }>('SELECT state, stats FROM runs');
    expect(run).toEqual({
      state: 'succeeded',
      stats: { files: 2, bytes: 1500, verified: 2, deleted: 2, quarantined: 0, failed: 0, passedOver: 0 },
    });
    expect(updates.at(-1)).toEqual({ files: `[${'#'.repeat(20)}] 2/2`, MB: '0.0/0.0' });
    expect(await w.db.db.one('SELECT count(DISTINCT run_id)::int AS n FROM transfers')).toEqual({ n: 1 });
  });

  it('dry run prints each file with its remote path and changes nothing', async () => {
    const w = await world('dryrun', { protocol: 'ftp' });
    const csv = await w.file('sdoss_106_20140221T000045_sdo_feat.csv');
    const jpg = await w.file('q_20131105T101010.jpg', 'not checked in a dry run');
    const lines: string[] = [];
    const outcome = await w.run({ dryRun: true, print: (l) => lines.push(l) });
    expect(outcome).toMatchObject({ ok: true, stats: { files: 2 } });
    expect(lines.sort()).toEqual(
      [
        `upload   ${csv} → archive:${w.remoteBase}/sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv`,
        `upload   ${jpg} → archive:${w.remoteBase}/sdoss/2013/11/q_20131105T101010.jpg (quicklook checked first)`,
      ].sort(),
    );
    expect(await w.transfers()).toEqual([]);
    expect(await w.remoteFiles()).toEqual([]);
    expect(existsSync(csv) && existsSync(jpg)).toBe(true);
  });

  it('deleteAfterVerify: false keeps local copies, does not upload them again, but does upload a changed one', async () => {
    const w = await world('keep', { protocol: 'sftp', upload: { deleteAfterVerify: false } });
    const file = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 'v1\n');
    expect(await w.run()).toMatchObject({ ok: true, stats: { files: 1, verified: 1, deleted: 0 } });
    expect(existsSync(file)).toBe(true);
    expect((await w.transfers())[0]?.state).toBe('kept');
    expect(await w.run()).toMatchObject({ ok: true, stats: { files: 0 } });

    await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 'v2, longer\n');
    await utimes(file, new Date(), new Date(Date.now() + 5_000));
    expect(await w.run()).toMatchObject({ ok: true, stats: { files: 1, verified: 1 } });
    const remote = path.join(w.remoteLocal, 'sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv');
    expect(readFileSync(remote, 'utf8')).toBe('v2, longer\n');
    expect(await w.history(file)).toEqual([
      ...['discovered', 'uploading', 'verified', 'renamed', 'checked', 'kept'],
      ...['discovered', 'uploading', 'verified', 'renamed', 'checked', 'kept'],
    ]);
  });

  it('a stop request ends the run at a safe state; the next run finishes the batch', async () => {
    const w = await world('stop', { protocol: 'ftp', target: { connections: 2 } });
    // More files than the 16 in flight (2 connections of 8): at the third deletion, files
    // not yet started are certain to be left. With 12, all of them could reach their last
    // state in the commits that carried the first three deletions, and the run end whole.
    const files = await Promise.all(
      Array.from({ length: 40 }, (_, i) => w.file(`sdoss_106_20140221T0000${String(i).padStart(2, '0')}_sdo_feat.csv`, 100_000)),
    );
    const controller = new AbortController();
    let done = 0;
    const outcome = await w.run({
      signal: controller.signal,
      hooks: {
        afterState(t) {
          if (t.state === 'deleted' && ++done === 3) controller.abort(new Error('SIGTERM'));
        },
      },
    });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ABORTED' } });
    expect(outcome.summary).toMatch(/left in place for the next run/);
    const left = files.filter((f) => existsSync(f)).length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(files.length);
    expect(await w.run()).toMatchObject({ ok: true, stats: { deleted: left } });
    expect(files.filter((f) => existsSync(f))).toEqual([]);
    expect((await w.remoteFiles()).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('a stop while new files are being prepared is a stop, not "ok, 0 files": they stay for the next run', async () => {
    const w = await world('stop-prepare', { protocol: 'local' });
    const files = await Promise.all([1, 2, 3].map((i) => w.file(`sdoss_106_20140221T00000${i}_sdo_feat.csv`, 'a,b\n')));
    const controller = new AbortController();
    controller.abort(new Error('SIGTERM'));
    const outcome = await w.run({ signal: controller.signal });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ABORTED' } });
    expect(outcome.summary).toMatch(/3 left in place for the next run/);
    expect(files.every((f) => existsSync(f))).toBe(true);
    expect(await w.run()).toMatchObject({ ok: true, stats: { deleted: 3 } });
  });

  // readdir's `recursive` followed a link to a directory: the file beyond it was archived, then deleted.
  it('never follows a link in the outbox: what lies beyond is neither uploaded nor deleted, and the run says so', async () => {
    const w = await world('links', { protocol: 'local' });
    const kept = await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 'a,b\n');
    const elsewhere = path.join(path.dirname(w.outbox), 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(path.join(elsewhere, 'sdoss_106_20140221T000045_sdo_init.csv'), 'precious\n');
    await symlink(elsewhere, path.join(w.outbox, 'linkdir'));
    await symlink(path.join(elsewhere, 'sdoss_106_20140221T000045_sdo_init.csv'), path.join(w.outbox, 'link_init.csv'));
    await symlink(w.outbox, path.join(w.outbox, 'loop'));
    const outcome = await w.run();
    expect(outcome).toMatchObject({ ok: true, stats: { files: 1, deleted: 1, passedOver: 3 } });
    expect(outcome.summary).toMatch(/3 passed over \(links, special files or unusable names: see the log\)/);
    expect(existsSync(kept)).toBe(false);
    expect(readFileSync(path.join(elsewhere, 'sdoss_106_20140221T000045_sdo_init.csv'), 'utf8')).toBe('precious\n');
    expect(await w.remoteFiles()).toEqual(['sdoss/2014/02/sdoss_106_20140221T000045_sdo_feat.csv']);
    expect((await w.transfers()).map((t) => path.basename(t.local_path))).toEqual(['sdoss_106_20140221T000045_sdo_feat.csv']);
  });

  // The partial's suffix (17 bytes) took a name of 239 bytes or more past NAME_MAX: "File name too long", every run.
  it.each(['proftpd-ftp', 'sftp'] as const)('uploads a file whose name has the 255 bytes a name may have, over %s', async (protocol) => {
    const w = await world(`long-${protocol}`, { protocol });
    const prefix = 'sdoss_106_20140221T000045_';
    const name = `${prefix}${'L'.repeat(255 - prefix.length - 4)}.csv`;
    const file = await w.file(name, 'a,b\n');
    expect(await w.run()).toMatchObject({ ok: true, stats: { files: 1, deleted: 1 } });
    expect(existsSync(file)).toBe(false);
    expect(await w.remoteFiles()).toEqual([`sdoss/2014/02/${name}`]);
  });

  it('sets aside a file whose name no remote path can carry, as PATH_UNSAFE, and uploads the others', async () => {
    const w = await world('unsafe', { protocol: 'local' });
    const bad = await w.file('sdoss_106_20140221T000045_back\\slash.csv', 'a,b\n');
    await w.file('sdoss_106_20140221T000045_sdo_feat.csv', 'a,b\n');
    expect(await w.run()).toMatchObject({ ok: true, stats: { files: 1, deleted: 1, quarantined: 1 } });
    expect(existsSync(bad)).toBe(false);
    const rows = await w.transfers();
    expect(rows.map((t) => [path.basename(t.local_path), t.state, t.error_code])).toEqual([
      ['sdoss_106_20140221T000045_back\\slash.csv', 'quarantined', 'PATH_UNSAFE'],
      ['sdoss_106_20140221T000045_sdo_feat.csv', 'deleted', null],
    ]);
  });
});
