import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, SPOCA, feat, init, writeSpoca } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('ingest sets mode: a member the set does not contain', () => {
  it('keeps a set whose metadata file is missing waiting, rejects it as incomplete after initWait, and loads it once the file is there', async () => {
    const w = await world('no-metadata', { sets: { initWait: '1s' } });
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    const featPath = await w.write(FEAT, feat(FEAT, 3));
    expect((await w.run()).stats).toMatchObject({ waiting: 1, rejected: 0, loaded: 0, failed: 0 });
    expect((await w.ledger()).map((r) => r.status)).toEqual(['waiting']);
    await sleep(1100);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    const rejected = await w.db.one<{ error: string }>(`SELECT error FROM $1:name.rejected_sets`, [w.hfc]);
    expect(rejected.error).toBe(
      `${featPath}: its metadata file ${path.join(w.source, 'sdoss_106_frc_info.csv')} has not arrived (waited 1s)`,
    );
    // Put back with the metadata file: the same content loads.
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 3));
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    expect((await w.run()).stats).toMatchObject({ loaded: 1, failed: 0 });
    expect((await w.ledger()).map((r) => r.status)).toEqual(['loaded']);
  });

  it('rejects the sets of a metadata file that cannot be used, in the ledger and rejected_sets, and loads them once it is fixed', async () => {
    const w = await world('bad-metadata');
    const frc = await w.write('sdoss_106_frc_info.csv', FRC_INFO.replace('FEATURE_NAME', 'FEATURE_NAM'));
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ failed: 0, rejected: 1 });
    const rejected = await w.db.one<{ set_key: string; error: string }>(`SELECT set_key, error FROM $1:name.rejected_sets`, [w.hfc]);
    expect(rejected).toEqual({
      set_key: KEY,
      error: `${frc}:1:FEATURE_NAM: table ${w.hfc}.frc_info has no column for header FEATURE_NAM (declare it in ingest.sets.frcInfo.ignore or .extra, or add the column to the table)`,
    });
    // The set, set aside, is put back unchanged; the metadata file is fixed: tried again.
    await w.write(INIT, init(DATE));
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    expect((await w.run()).stats).toMatchObject({ loaded: 1, rejected: 0 });
    expect((await w.ledger()).map((r) => r.status)).toEqual(['loaded']);
  });

  it('loads a track file rejected while its features were missing, once they are loaded', async () => {
    const w = await world('late-features', { code: 'spoca-ar', sets: { initWait: '1s' } });
    await writeSpoca(w);
    const track = `spoca_301_${DATE}_sdo_track.csv`;
    await w.write(track, SPOCA.track([[DATE, 2, 7]]));
    expect((await w.run()).stats).toMatchObject({ waiting: 1 });
    await sleep(1100);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    const [rejected] = await w.ledger();
    expect(rejected).toMatchObject({ status: 'rejected', incomplete: true });
    expect(await readdir(w.source)).not.toContain(track);
    // The features arrive, and the operator puts the track file back, unchanged.
    await writeSpoca(w, 3);
    await w.write(track, SPOCA.track([[DATE, 2, 7]]));
    expect((await w.run()).stats).toMatchObject({ loaded: 2, rejected: 0, skipped: 0 });
    const ledger = await w.ledger();
    expect(ledger.filter((r) => r.kind === 'track').map((r) => r.status)).toEqual(['loaded']);
    expect(await w.count('activeregions_tracking')).toBe(1);
    // A track still missing its features stays rejected: reported once, set aside again.
    await w.write(`spoca_301_20140222T000000_sdo_track.csv`, SPOCA.track([['20140222T000000', 1, 9]]));
    expect((await w.run()).stats).toMatchObject({ waiting: 1 });
  });
});
