// The edge cases of hfc-formats.md §6, on the fixtures of test/fixtures/hfc (its README
// says what loading each must give).
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useSetsWorlds, type SetsWorld } from './world.js';

const HFC = fileURLToPath(new URL('../../fixtures/hfc/', import.meta.url));
const world = useSetsWorlds();

const SMART = {
  code: { name: 'smart', version: '1.00' },
  csv: { delimiter: ';', nullValues: ['NULL', '', ' '] },
  sets: {
    files: '{code}_{version}_{date}_{obs}_{role}.csv',
    roles: { obs: 'init', feat: 'feat' },
    frcInfo: { file: '{code}_{version}_frc_info.csv', naturalKey: ['institut', 'code', 'version', 'feature_name'] },
    observatory: { file: '{code}_{version}_observatory.csv', naturalKey: ['observat', 'instrume', 'telescop', 'wavemin', 'wavemax'] },
    observations: { localId: 'ID', references: { OBSERVATORY_ID: 'observatory' } },
    features: { table: 'activeregions', localId: 'ID', references: { FRC_INFO_ID: 'frcInfo', OBSERVATIONS_ID: 'observations' } },
    aliases: { ID: 'ID_FRC_INFO', NAME_CODE: 'CODE', VERSION_CODE: 'VERSION', FEATURE: 'FEATURE_NAME', SPECTRAL_NAME: 'SPECTRAL_DOMAIN' },
  },
};

const status = async (w: SetsWorld) => Object.fromEntries((await w.ledger()).map((r) => [r.set_key, r.status]));

describe('HFC fixtures: SDOSS (#1 #3 #4 #5 #6 #8 #9 #10 #15)', () => {
  it('loads the three sets, remapping two observations per set, resolving metadata once', async () => {
    const w = await world('fx-sdoss');
    await w.copyDir(path.join(HFC, 'sdoss'));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ sets: 3, loaded: 3, rejected: 0 });
    expect(await w.count('frc_info')).toBe(1);
    expect(await w.count('observatory')).toBe(2);
    expect(await w.count('observations')).toBe(6);
    expect(await w.count('sunspots')).toBe(5);
    const c = (await w.ledger()).find((r) => r.set_key === 'sdoss_106_20140221T120045_sdo');
    expect(c?.rows).toEqual({ observations: 2 });
    // #9/#10: each sunspot points at the continuum and magnetogram rows of its own set.
    const pairs = await w.db.any<{ ic: string; m: string; same: boolean }>(
      `SELECT ic.filename AS ic, m.filename AS m, ic.load_id = s.load_id AND m.load_id = s.load_id AS same
         FROM $1:name.sunspots s JOIN $1:name.observations ic ON ic.id_observations = s.observations_id_ic
         JOIN $1:name.observations m ON m.id_observations = s.observations_id_m`,
      [w.hfc],
    );
    expect(pairs).toHaveLength(5);
    expect(pairs.every((p) => p.same && p.ic.startsWith('hmi.ic_') && p.m.startsWith('hmi.m_'))).toBe(true);
    // #3 quoted ";", #5 negative BITPIX, #6 TAI (JSOC form, _TAI, .000_TAI) → UTC.
    const obs = await w.db.any<{ url: string; bitpix: number; date_obs: Date; date_end: Date }>(
      `SELECT url, bitpix, date_obs, date_end FROM $1:name.observations WHERE filename LIKE '%20140221_060045%' ORDER BY filename`,
      [w.hfc],
    );
    expect(obs[0]!.url).toMatch(/series=hmi__Ic_45s;compress=rice;record=/);
    expect(obs.map((o) => o.bitpix)).toEqual([-32, -32]);
    const utc = new Date('2014-02-21T06:00:45Z').getTime();
    expect(obs.flatMap((o) => [o.date_obs.getTime(), o.date_end.getTime()])).toEqual([utc, utc, utc, utc]);
    // #4 RS stays text; #15 the snapshot of the views.
    const rs = await w.db.one<{ rs: string }>(`SELECT rs FROM $1:name.sunspots WHERE feat_filename LIKE '%T000045%' AND row_ordinal = 1`, [w.hfc]);
    expect(rs.rs).toBe('0,0,5,1,3,2');
    const view = await w.db.one<{ n: string; snapshots: string }>(
      `SELECT count(*) AS n, count(snapshot) AS snapshots FROM $1:name.view_sunspots_hqi`,
      [w.hfc],
    );
    expect(view).toEqual({ n: '5', snapshots: '5' });
  });

  it('#13: replaces a re-emitted set with other content, leaving the others untouched; skips it unchanged', async () => {
    const w = await world('fx-reemit');
    await w.copyDir(path.join(HFC, 'sdoss'));
    await w.run();
    const others = await w.db.any(`SELECT id_observations FROM $1:name.observations WHERE filename NOT LIKE '%20140221_000045%' ORDER BY 1`, [w.hfc]);
    await w.copy(path.join(HFC, 'sdoss', 'sdoss_106_20140221T000045_sdo_feat.csv'));
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 3 });
    await w.copy(path.join(HFC, 'sdoss', 'reemitted', 'sdoss_106_20140221T000045_sdo_feat.csv'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, replaced: 1 });
    const a = (await w.ledger()).filter((r) => r.set_key === 'sdoss_106_20140221T000045_sdo');
    expect(a.map((r) => r.status)).toEqual(['replaced', 'loaded']);
    expect(a[0]!.replaced_by).toBe(a[1]!.id);
    expect(await w.count('sunspots')).toBe(4);
    expect(await w.count('observations')).toBe(6);
    expect(await w.db.any(`SELECT id_observations FROM $1:name.observations WHERE filename NOT LIKE '%20140221_000045%' ORDER BY 1`, [w.hfc])).toEqual(others);
  });

  it('#5 #16: rejects truncated and bad sets with a located error, loads a header-only feat, never half a set', async () => {
    const w = await world('fx-broken');
    await w.copyDir(path.join(HFC, 'sdoss'));
    const broken = await w.copyDir(path.join(HFC, 'sdoss', 'broken'));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ sets: 8, loaded: 4, rejected: 4 });
    const rows = await w.ledger();
    const error = (key: string) => rows.find((r) => r.set_key === `sdoss_106_${key}_sdo`)?.error;
    const file = (name: string) => broken.find((f) => f.endsWith(name))!;
    expect(error('20140222T000045')).toMatch(new RegExp(`^${file('20140222T000045_sdo_feat.csv')}:4: expected 85 fields, found 46`));
    expect(error('20140222T120045')).toBe(`${file('20140222T120045_sdo_init.csv')}: no observation rows (an init file lists at least one observation)`);
    expect(error('20140222T180045')).toMatch(new RegExp(`^${file('20140222T180045_sdo_feat.csv')}:3:FEAT_AREA_PIX: "1\\.2e3" is a float, not an integer`));
    expect(error('20140223T000045')).toBe(`${file('20140223T000045_sdo_init.csv')}:3:LOC_FILENAME: NULL in column loc_filename, which is NOT NULL`);
    expect(rows.find((r) => r.set_key === 'sdoss_106_20140222T060045_sdo')).toMatchObject({ status: 'loaded', rows: { observations: 2, sunspots: 0 } });
    // Nothing of a rejected set is in the catalogue.
    const loaded = await w.db.one<{ n: string }>(
      `SELECT count(*) AS n FROM $1:name.observations o JOIN ingested_sets s ON s.id = o.load_id WHERE s.status <> 'loaded'`,
      [w.hfc],
    );
    expect(loaded.n).toBe('0');
    expect(await w.count('observations')).toBe(8);
  });

  it('reports a feat whose init never comes after initWait, loading nothing of it', async () => {
    const w = await world('fx-orphan', { sets: { initWait: '1s' } });
    await w.copyDir(path.join(HFC, 'sdoss'));
    await w.copyDir(path.join(HFC, 'sdoss', 'orphan'));
    expect((await w.run()).stats).toMatchObject({ loaded: 3, waiting: 1 });
    await sleep(1100);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    expect((await w.ledger()).find((r) => r.status === 'rejected')?.error).toMatch(/its init file sdoss_106_20140224T000045_sdo_init\.csv has not arrived \(waited 1s\)$/);
    expect(await w.count('sunspots')).toBe(5);
  });
});

describe('HFC fixtures: SPoCA, RABAT3, legacy SMART (#2 #4 #6 #7 #11 #12 #14)', () => {
  it('SPoCA: loads the set, then the later track file, linking each row to its region; an orphan track waits then is reported', async () => {
    const w = await world('fx-spoca', { code: 'spoca-ar', sets: { initWait: '2s' } });
    await w.copyDir(path.join(HFC, 'spoca-ar'));
    await w.copyDir(path.join(HFC, 'spoca-ar', 'orphan-track'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, waiting: 1 });
    const ar = await w.db.one<{ t: Date; feat_date: Date }>(`SELECT observations_id_t AS t, feat_date FROM $1:name.activeregions WHERE row_ordinal = 1`, [w.hfc]);
    expect(ar).toEqual({ t: null, feat_date: new Date('2014-02-21T00:00:09.340Z') });
    await w.copyDir(path.join(HFC, 'spoca-ar', 'later'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, waiting: 1 });
    // Track rows 1..3 name regions 1..3 of the feat file, and sit where those regions are.
    const linked = await w.db.any<{ track_id: number; row_ordinal: number; same_place: boolean; track_filename: string }>(
      `SELECT t.track_id, a.row_ordinal, t.feat_x_pix = a.feat_x_pix AND t.feat_y_pix = a.feat_y_pix AS same_place, t.track_filename
         FROM $1:name.activeregions_tracking t JOIN $1:name.activeregions a ON a.id_ar = t.ar_id ORDER BY t.track_id`,
      [w.hfc],
    );
    expect(linked.map((l) => [l.track_id, l.row_ordinal, l.track_filename])).toEqual(
      [2011, 2012, 2013].map((id, i) => [id, i + 1, 'spoca-ar_301_20140221T000009_sdo_track.csv']),
    );
    expect(linked.every((l) => l.same_place)).toBe(true);
    expect((await w.ledger()).find((r) => r.kind === 'track' && r.status === 'loaded')?.rows).toEqual({ activeregions_tracking: 3 });
    await sleep(2100);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    expect((await w.ledger()).find((r) => r.status === 'rejected')?.error).toMatch(/features of spoca-ar_301_20140222T000009_sdo_feat\.csv not loaded/);
  });

  it('RABAT3: obs-before-date names, Latin-1, ID_OBSERVAT, empty NULLs but "" kept where declared, feat_filename filled', async () => {
    const w = await world('fx-rabat3', { code: 'rabat3', sets: { columns: { comment: { nullValues: ['NULL'] } } } });
    await w.copyDir(path.join(HFC, 'rabat3'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, rejected: 0 });
    expect((await w.db.one<{ person: string }>(`SELECT person FROM $1:name.frc_info`, [w.hfc])).person).toBe('Zoé Exemple');
    const obs = await w.db.one<{ comment: string | null; date_end: Date }>(`SELECT comment, date_end FROM $1:name.observations`, [w.hfc]);
    expect(obs).toEqual({ comment: '', date_end: new Date('2014-02-21T23:59:00Z') });
    expect((await w.db.one<{ comment: string | null }>(`SELECT comment FROM $1:name.observatory`, [w.hfc])).comment).toBe('');
    const bursts = await w.db.any<{ feat_filename: string; ske: number; shift: number }>(
      `SELECT feat_filename, length(ske_cc) AS ske, extract(epoch FROM br_x0_utc - br_x1_utc) AS shift FROM $1:name.type_iii ORDER BY row_ordinal`,
      [w.hfc],
    );
    expect(bursts.map((b) => b.feat_filename)).toEqual(['rabat3_203_nda_20140221T000000_feat.csv', 'rabat3_203_nda_20140221T000000_feat.csv']);
    expect(bursts.some((b) => b.ske >= 1100)).toBe(true);
    expect(await w.count('view_type_iii_hqi')).toBe(2);
  });

  it('SMART (legacy): "#" headers, aliases, _obs role, " " NULLs, exponents, packed integer list, long chain code', async () => {
    const w = await world('fx-smart', { declaration: SMART });
    await w.copyDir(path.join(HFC, 'smart'));
    const outcome = await w.run();
    expect(outcome.stats, JSON.stringify(await w.ledger())).toMatchObject({ loaded: 1, rejected: 0 });
    const ar = await w.db.any<{ br_pix: number[] | null; cc: number; helio_ar_number: number | null; feat_rval: number }>(
      `SELECT br_pix, length(cc) AS cc, helio_ar_number, feat_rval FROM $1:name.activeregions ORDER BY row_ordinal`,
      [w.hfc],
    );
    expect(ar[0]).toMatchObject({ br_pix: [163, 1, 970, 81], cc: 1234, feat_rval: 1.23544e10 });
    expect(ar[1]?.helio_ar_number).toBeNull();
    const frc = await w.db.one(`SELECT institut, code, version, feature_name FROM $1:name.frc_info`, [w.hfc]);
    expect(frc).toEqual({ institut: 'TCD', code: 'SMART', version: '1.00', feature_name: 'ACTIVE REGIONS' });
    expect(await status(w)).toEqual({ smart_100_20050402T013503_mdi: 'loaded' });
  });
});
