import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();

async function oneSet(w: SetsWorld, featText = feat(FEAT, 3)): Promise<void> {
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
  await w.write(`2014/02/${INIT}`, init(DATE));
  await w.write(`2014/02/${FEAT}`, featText);
}

describe('ingest sets mode: sources and dry run', () => {
  it('loads from a target, never changing the archive, with the source named by the target', async () => {
    const w = await world('remote', { remote: true });
    await oneSet(w, feat(FEAT, 3).replace(';1231;1676;', ';x;1676;'));
    await w.write(`2014/02/sdoss_106_20140221T060045_sdo_init.csv`, init('20140221T060045'));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rejected: 1 });
    const rows = await w.ledger();
    expect(rows.map((r) => r.status).sort()).toEqual(['loaded', 'rejected']);
    expect(await w.db.one('SELECT DISTINCT source FROM ingested_sets')).toEqual({ source: 'archive:/hfc/sdoss' });
    // A rejected remote set stays in the archive (the ledger keeps it from being retried).
    expect((await readdir(`${w.source}/2014/02`)).sort()).toEqual([FEAT, INIT, 'sdoss_106_20140221T060045_sdo_init.csv']);
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 2, rejected: 0 });
  });

  it('skips a set whose files keep their path, size and modification time, without reading them', async () => {
    const w = await world('unread', { remote: true });
    await oneSet(w);
    await w.run();
    const file = `${w.source}/2014/02/${FEAT}`;
    const { mtime } = await stat(file);
    const text = await readFile(file, 'utf8');
    const edited = text.replace('-412.318', '-412.319');
    expect(edited).not.toBe(text);
    // Same size and time: taken as the file already loaded (a read would see new content).
    await writeFile(file, edited);
    await utimes(file, mtime, mtime);
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 1 });
    await utimes(file, new Date(), new Date());
    expect((await w.run()).stats).toMatchObject({ loaded: 1, replaced: 1 });
  });

  it('lists what a run would do in a dry run, and changes nothing', async () => {
    const w = await world('dry-run');
    await oneSet(w);
    await w.write('sdoss_106_20140221T060045_sdo_feat.csv', feat('x', 1));
    const printed: string[] = [];
    const outcome = await w.run({ dryRun: true, printed });
    expect(outcome.ok).toBe(true);
    expect(printed.sort()).toEqual([
      `load  ${KEY} (${FEAT}, ${INIT})`,
      'wait  sdoss_106_20140221T060045_sdo (its init file sdoss_106_20140221T060045_sdo_init.csv has not arrived)',
    ]);
    expect(await w.ledger()).toEqual([]);
    expect(await w.count('observations')).toBe(0);
  });
});
