import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, SPOCA, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('ingest sets mode: incomplete sets and track files', () => {
  it('keeps a feat file without its init waiting, then rejects it after initWait, loading nothing of it', async () => {
    const w = await world('no-init', { sets: { initWait: '1s' } });
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const featPath = await w.write(FEAT, feat(FEAT, 3));
    const first = await w.run();
    expect(first.stats).toMatchObject({ waiting: 1, loaded: 0, rejected: 0 });
    expect(first.ok).toBe(true);
    expect((await w.ledger()).map((r) => r.status)).toEqual(['waiting']);
    await sleep(1100);
    const second = await w.run();
    expect(second.stats).toMatchObject({ waiting: 0, rejected: 1 });
    const [row] = await w.ledger();
    expect(row).toMatchObject({ set_key: KEY, status: 'rejected' });
    expect(row!.error).toBe(`${featPath}: its init file ${INIT} has not arrived (waited 1s)`);
    expect(await w.count('sunspots')).toBe(0);
    expect(await w.count('observations')).toBe(0);
    // Set aside with a report, out of the source directory.
    expect(await readdir(path.join(w.quarantine, 'sdoss'))).toEqual([FEAT, `${FEAT}.report.txt`]);
    // The init arriving later makes new content: the set loads then.
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 3));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    expect(await w.count('sunspots')).toBe(3);
  });

  it('loads an init-only set (nothing detected)', async () => {
    const w = await world('init-only');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, rows: 2 });
    expect(await w.count('observations')).toBe(2);
  });

  it('links a track file loaded after its features to the right rows, and waits while they are missing', async () => {
    const w = await world('track', { code: 'spoca-ar' });
    const other = '20140222T000000';
    await w.write('spoca-ar_301_frc_info.csv', SPOCA.frcInfo);
    await w.write('spoca-ar_301_observatory.csv', SPOCA.observatory);
    await w.write(`${SPOCA.key(DATE)}_init.csv`, SPOCA.init(DATE));
    await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 3));
    await w.write(
      `spoca_301_${other}_sdo_track.csv`,
      SPOCA.track([
        [DATE, 3, 41],
        [other, 1, 42],
      ]),
    );
    const first = await w.run();
    expect(first.stats).toMatchObject({ loaded: 1, waiting: 1 });
    expect(await w.count('activeregions_tracking')).toBe(0);
    await w.write(`${SPOCA.key(other)}_init.csv`, SPOCA.init(other));
    await w.write(`${SPOCA.key(other)}_feat.csv`, SPOCA.feat(other, 2));
    const second = await w.run();
    expect(second.stats).toMatchObject({ loaded: 2, waiting: 0 });
    const linked = await w.db.any(
      `SELECT t.track_id, a.feat_filename, a.row_ordinal, a.feat_x_pix FROM $1:name.activeregions_tracking t
         JOIN $1:name.activeregions a ON a.id_ar = t.ar_id ORDER BY t.track_id`,
      [w.hfc],
    );
    expect(linked).toEqual([
      { track_id: 41, feat_filename: `spoca-ar_301_${DATE}_sdo_feat.csv`, row_ordinal: 3, feat_x_pix: 102 },
      { track_id: 42, feat_filename: `spoca-ar_301_${other}_sdo_feat.csv`, row_ordinal: 1, feat_x_pix: 100 },
    ]);
    expect((await w.ledger()).filter((r) => r.status === 'waiting')).toEqual([]);
  });

  it('with featureId rowOrdinal, rejects a track row naming a feature its file does not have, at its line and column', async () => {
    const tracking = {
      table: 'activeregions_tracking',
      files: '{code}_{version}_{date}_{obs}_{role}.csv',
      code: 'spoca',
      featureId: 'rowOrdinal',
      references: { ID_AR: { of: 'features', column: 'ar_id' } },
    };
    const w = await world('track-bad', { code: 'spoca-ar', sets: { tracking } });
    await w.write('spoca-ar_301_frc_info.csv', SPOCA.frcInfo);
    await w.write('spoca-ar_301_observatory.csv', SPOCA.observatory);
    await w.write(`${SPOCA.key(DATE)}_init.csv`, SPOCA.init(DATE));
    await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 2));
    const track = await w.write(
      `spoca_301_${DATE}_sdo_track.csv`,
      SPOCA.track([
        [DATE, 1, 1],
        [DATE, 5, 2],
      ]),
    );
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rejected: 1 });
    const rejected = (await w.ledger()).find((r) => r.status === 'rejected');
    expect(rejected?.error).toBe(`${track}:3:ID_AR: 5 is not a row of the feat file of set spoca-ar_301_${DATE}_sdo (it has 2 features)`);
    expect(await w.count('activeregions_tracking')).toBe(0);
  });
});
