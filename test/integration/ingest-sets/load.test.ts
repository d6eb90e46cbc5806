import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('ingest sets mode: one set in one transaction', () => {
  it('loads init + feat with remapped ids and the load id on every row', async () => {
    const w = await world('basic');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 3));
    const outcome = await w.run();
    expect(outcome.summary).toMatch(/1 sets \(2 files\): 1 loaded \(5 rows\)/);
    expect(outcome.ok).toBe(true);
    const [load] = await w.ledger();
    expect(load).toMatchObject({ set_key: KEY, kind: 'set', status: 'loaded' });
    expect(await w.count('observations')).toBe(2);
    expect(await w.count('sunspots')).toBe(3);
    const rows = await w.db.any(
      `SELECT s.row_ordinal, o1.filename AS ic, o2.filename AS m, s.load_id::text, f.code
         FROM $1:name.sunspots s JOIN $1:name.observations o1 ON o1.id_observations = s.observations_id_ic
         JOIN $1:name.observations o2 ON o2.id_observations = s.observations_id_m JOIN $1:name.frc_info f ON f.id_frc_info = s.frc_info_id
        ORDER BY s.row_ordinal`,
      [w.hfc],
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      row_ordinal: 1,
      ic: `hmi.ic_45s.${DATE}_TAI.fits`,
      m: `hmi.m_45s.${DATE}_TAI.fits`,
      load_id: load!.id,
      code: 'SDOSS',
    });
    const again = await w.run();
    expect(again.summary).toMatch(/0 loaded.*1 skipped/);
    expect(await w.count('sunspots')).toBe(3);
  });
});
