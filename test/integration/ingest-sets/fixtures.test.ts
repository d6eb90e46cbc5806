// The edge cases of hfc-formats.md §6, on the fixtures of test/fixtures/hfc (its README
// says what loading each must give).
import { readFile } from 'node:fs/promises';
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

describe('HFC fixtures: SDOSS as its IDL writer writes under GDL (#1 #3 #4 #5 #6 #8 #9 #10 #15)', () => {
  it('loads the sets with the repository metadata unmodified, every value intact, and twice without doubles', async () => {
    const w = await world('fx-sdoss');
    await w.copyDir(path.join(HFC, 'sdoss'));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ sets: 3, loaded: 3, rejected: 0, unmatched: 0 });
    expect(await w.db.any(`SELECT institut, code, version, person FROM $1:name.frc_info`, [w.hfc])).toEqual([
      { institut: 'MSSL', code: 'SDOSS', version: '1.06', person: 'Sergei Zharkov' },
    ]);
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
    // FILE_SIZE in kB (IDL float) → bytes; "NULL " (the row's last field and GDL's blank) → NULL;
    // text kept without the blank; #3 the quoted JSOC URL with its ";"; #5 negative BITPIX.
    const obs = await w.db.any<Record<string, unknown>>(
      `SELECT file_size, qclk_fname, quality, processing_lvl, comment, url, bitpix, exp_time, date_end
         FROM $1:name.observations WHERE filename LIKE '%20140221_000045%' ORDER BY filename`,
      [w.hfc],
    );
    expect(obs).toEqual([
      expect.objectContaining({
        file_size: '13578900',
        qclk_fname: 'hmi.ic_45s.20140221_000045_TAI.continuum.jpg',
        quality: '0',
        processing_lvl: '0',
        comment: null,
        bitpix: -32,
        exp_time: 45,
      }),
      expect.objectContaining({
        file_size: '11227200',
        qclk_fname: null,
        quality: '1024',
        comment: 'Magnetogram, LOS field, HMI level 1.5',
      }),
    ]);
    expect(obs[0]!['url']).toBe(
      'http://jsoc.stanford.edu/cgi-bin/ajax/jsoc_fetch?op=exp_request&ds=hmi.Ic_45s[2014.02.21_00:00:45_TAI];method=url_quick;protocol=as-is',
    );
    expect(obs[0]!['date_end']).toEqual(new Date('2014-02-21T00:01:30Z'));
    // FEAT_FILENAME is NULL in every SDOSS file: filled with the file's name, so each set keeps its own key.
    const names = await w.db.any<{ feat_filename: string; n: string }>(
      `SELECT feat_filename, count(*) AS n FROM $1:name.sunspots GROUP BY 1 ORDER BY 1`,
      [w.hfc],
    );
    expect(names).toEqual([
      { feat_filename: 'sdoss_106_20140221T000045_sdo_feat.csv', n: '3' },
      { feat_filename: 'sdoss_106_20140221T060045_sdo_feat.csv', n: '2' },
    ]);
    // #4 RS stays text; chain codes whole; IDL floats and the run date.
    const spot = await w.db.one<Record<string, unknown>>(
      `SELECT rs, cc_length = length(cc) AS cc_whole, feat_x_arcsec, feat_hg_long_deg, run_date, local_id, snapshot_fn
         FROM $1:name.sunspots WHERE feat_filename LIKE '%T000045%' AND row_ordinal = 1`,
      [w.hfc],
    );
    expect(spot).toMatchObject({
      cc_whole: true,
      feat_x_arcsec: -59.705204,
      feat_hg_long_deg: -4.36195,
      run_date: new Date('2014-02-22T03:12:09Z'),
      local_id: '1',
      snapshot_fn: null,
    });
    expect(spot['rs']).toMatch(/^\d+(,\d+){5}$/);
    const view = await w.db.one<{ n: string; snapshots: string }>(
      `SELECT count(*) AS n, count(snapshot) AS snapshots FROM $1:name.view_sunspots_hqi`,
      [w.hfc],
    );
    expect(view).toEqual({ n: '5', snapshots: '5' });
    // Loading again: nothing doubled.
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 3 });
    expect([await w.count('observations'), await w.count('sunspots'), await w.count('frc_info'), await w.count('observatory')]).toEqual([
      6, 5, 1, 2,
    ]);
  });

  it('#13: replaces a re-emitted set with other content, leaving the others untouched; skips it unchanged', async () => {
    const w = await world('fx-reemit');
    await w.copyDir(path.join(HFC, 'sdoss'));
    await w.run();
    const others = await w.db.any(
      `SELECT id_observations FROM $1:name.observations WHERE filename NOT LIKE '%20140221_000045%' ORDER BY 1`,
      [w.hfc],
    );
    await w.copy(path.join(HFC, 'sdoss', 'sdoss_106_20140221T000045_sdo_feat.csv'));
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 3 });
    await w.copy(path.join(HFC, 'sdoss', 'reemitted', 'sdoss_106_20140221T000045_sdo_feat.csv'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, replaced: 1 });
    const a = (await w.ledger()).filter((r) => r.set_key === 'sdoss_106_20140221T000045_sdo');
    expect(a.map((r) => r.status)).toEqual(['replaced', 'loaded']);
    expect(a[0]!.replaced_by).toBe(a[1]!.id);
    expect(await w.count('sunspots')).toBe(4);
    expect(await w.count('observations')).toBe(6);
    expect(await w.db.any(`SELECT DISTINCT feat_filename FROM $1:name.sunspots WHERE load_id = $2`, [w.hfc, a[1]!.id])).toEqual([
      { feat_filename: 'sdoss_106_20140221T000045_sdo_feat.csv' },
    ]);
    expect(
      await w.db.any(`SELECT id_observations FROM $1:name.observations WHERE filename NOT LIKE '%20140221_000045%' ORDER BY 1`, [w.hfc]),
    ).toEqual(others);
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
    expect(error('20140222T000045')).toMatch(
      new RegExp(`^${file('20140222T000045_sdo_feat.csv')}:4: expected 85 fields, found 46 \\(a truncated or broken record\\)$`),
    );
    expect(error('20140222T120045')).toBe(
      `${file('20140222T120045_sdo_init.csv')}: no observation rows (an init file lists at least one observation)`,
    );
    expect(error('20140222T180045')).toMatch(
      new RegExp(`^${file('20140222T180045_sdo_feat.csv')}:3:FEAT_AREA_PIX: "1\\.2e3" is a float, not an integer`),
    );
    expect(error('20140223T000045')).toBe(
      `${file('20140223T000045_sdo_init.csv')}:3:LOC_FILENAME: NULL in column loc_filename, which is NOT NULL`,
    );
    expect(rows.find((r) => r.set_key === 'sdoss_106_20140222T060045_sdo')).toMatchObject({
      status: 'loaded',
      rows: { observations: 2, sunspots: 0 },
    });
    expect(error('20140222T180045')).toMatch(
      /is a float, not an integer: an integer column takes digits only, even though it is a whole number$/,
    );
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
    expect((await w.ledger()).find((r) => r.status === 'rejected')?.error).toMatch(
      /its init file sdoss_106_20140224T000045_sdo_init\.csv has not arrived \(waited 1s\)$/,
    );
    expect(await w.count('sunspots')).toBe(5);
  });
});

describe('HFC fixtures: SPoCA, RABAT3 as their Python writers write them, legacy SMART (#2 #4 #6 #7 #11 #12 #14)', () => {
  it('SPoCA: metadata under the repository names, its init columns, float pixels, then the tracker file linked by ID_AR', async () => {
    const w = await world('fx-spoca', { code: 'spoca-ar', sets: { initWait: '2s' } });
    await w.copyDir(path.join(HFC, 'spoca-ar'));
    await w.copyDir(path.join(HFC, 'spoca-ar', 'orphan-track'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, waiting: 1, unmatched: 0 });
    // The repository's spoca_300_* files, unmodified (CRLF, no newline at the end): the rows the set names.
    expect(await w.db.any(`SELECT institut, code, version, feature_name FROM $1:name.frc_info`, [w.hfc])).toEqual([
      { institut: 'IAS', code: 'SPOCA', version: '3.0', feature_name: 'ACTIVE REGIONS' },
    ]);
    expect(await w.count('observatory')).toBe(1);
    const obs = await w.db.one<Record<string, unknown>>(
      `SELECT o.time_origin, o.time_scale, o.spatial_frame_type, o.spatial_origin, o.qclk_url, o.feat_filename, y.observat, y.wavemin
         FROM $1:name.observations o JOIN $1:name.observatory y ON y.id_observatory = o.observatory_id`,
      [w.hfc],
    );
    expect(obs).toEqual({
      time_origin: 'SDO',
      time_scale: 'UTC',
      spatial_frame_type: 'helioprojective-cartesian coordinates',
      spatial_origin: 'SDO',
      qclk_url: null,
      feat_filename: '/obs/helio/hfc/frc/spoca/results/spoca-ar_301_20140221T000009_sdo_init.csv',
      observat: 'SDO',
      wavemin: 17.1,
    });
    const ars = await w.db.any<{
      local_id: string;
      row_ordinal: number;
      feat_x_pix: number;
      t: null;
      feat_date: Date;
      feat_filename: string;
    }>(
      `SELECT local_id, row_ordinal, feat_x_pix, observations_id_t AS t, feat_date, feat_filename FROM $1:name.activeregions ORDER BY row_ordinal`,
      [w.hfc],
    );
    // ID_AR as the writer numbered the map's regions (3, on the limb, left out); 2138.0891603272858 → 2138.
    expect(ars.map((a) => [a.local_id, a.row_ordinal])).toEqual([
      ['1', 1],
      ['2', 2],
      ['4', 3],
    ]);
    expect(ars[0]).toMatchObject({ feat_x_pix: 2138, t: null, feat_date: new Date('2014-02-21T00:00:09.340Z') });
    expect(ars[0]!.feat_filename).toBe('/obs/helio/hfc/frc/spoca/results/spoca-ar_301_20140221T000009_sdo_feat.csv');
    await w.copyDir(path.join(HFC, 'spoca-ar', 'later'));
    const later = await w.run();
    expect(later.stats).toMatchObject({ loaded: 1, waiting: 1, untrackable: 1 });
    // The tracker's rows for regions 1, 2, 4 link to the features the feat file wrote under those ids.
    const linked = await w.db.any<{
      track_id: number;
      local_id: string;
      same_place: boolean;
      phenom: null;
      lvl_trust: null;
      track_filename: string;
    }>(
      `SELECT t.track_id, a.local_id, t.feat_x_pix = a.feat_x_pix AND t.feat_y_pix = a.feat_y_pix AS same_place, t.phenom, t.lvl_trust, t.track_filename
         FROM $1:name.activeregions_tracking t JOIN $1:name.activeregions a ON a.id_ar = t.ar_id ORDER BY t.track_id`,
      [w.hfc],
    );
    expect(linked.map((l) => [l.track_id, l.local_id])).toEqual([
      [2011, '1'],
      [2012, '2'],
      [2014, '4'],
    ]);
    expect(
      linked.every(
        (l) => l.same_place && l.phenom === null && l.lvl_trust === null && l.track_filename === 'spoca_301_20140221T000009_sdo_track.csv',
      ),
    ).toBe(true);
    const track = (await w.ledger()).find((r) => r.kind === 'track' && r.status === 'loaded');
    expect(track).toMatchObject({ set_key: 'spoca_301_20140221T000009_sdo_track', rows: { activeregions_tracking: 3 } });
    expect(track?.error).toBe(
      '1 rows not loaded: they name features their feat file does not list (its writer leaves out limb and oversized regions): line 4 (ID_AR 3)',
    );
    await sleep(2100);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    expect((await w.ledger()).find((r) => r.status === 'rejected')?.error).toMatch(
      /: features of set spoca-ar_301_20140222T000009_sdo not loaded \(waited 2s\)$/,
    );
  });

  it('RABAT3: per-instrument metadata, NULL and "" markers, extra feature columns, skipped ids; a set without its own observatory file is never guessed', async () => {
    const w = await world('fx-rabat3', { code: 'rabat3', sets: { initWait: '1s' } });
    await w.copyDir(path.join(HFC, 'rabat3'));
    await w.copyDir(path.join(HFC, 'rabat3', 'unresolved'));
    // The repository's shared observatory file is not declared (its ids 1-4 are not the sets' 1): counted, not used.
    expect((await w.run()).stats).toMatchObject({ loaded: 2, waiting: 1, rejected: 0, unmatched: 1 });
    const obs = await w.db.any<Record<string, unknown>>(
      `SELECT y.observat, y.instrume, y.spectral_domain, y.comment, o.bscale, o.bitpix, o.quality, o.file_format, o.qclk_url, o.date_end
         FROM $1:name.observations o JOIN $1:name.observatory y ON y.id_observatory = o.observatory_id ORDER BY y.observat`,
      [w.hfc],
    );
    expect(obs).toEqual([
      {
        observat: 'STEREO_A',
        instrume: 'Swaves',
        spectral_domain: 'Radio',
        comment: null,
        bscale: null,
        bitpix: null,
        quality: null,
        file_format: null,
        qclk_url: null,
        date_end: new Date('2014-02-21T23:59:00Z'),
      },
      {
        observat: 'Wind',
        instrume: 'Waves',
        spectral_domain: 'Radio',
        comment: null,
        bscale: null,
        bitpix: null,
        quality: null,
        file_format: null,
        qclk_url: null,
        date_end: new Date('2014-02-21T23:59:00Z'),
      },
    ]);
    expect(await w.db.any(`SELECT code, version, reference FROM $1:name.frc_info`, [w.hfc])).toEqual([
      { code: 'RABAT3', version: '2.03', reference: 'doi:10.1029/2008SW000425' },
    ]);
    const bursts = await w.db.any<Record<string, unknown>>(
      `SELECT local_id, multiple, snapshot_fn, helio_id, cc_y_mhz, t.feat_filename, length(ske_cc) AS ske FROM $1:name.type_iii t
         JOIN $1:name.observations o ON o.id_observations = t.observations_id WHERE o.filename LIKE 'wi_%' ORDER BY row_ordinal`,
      [w.hfc],
    );
    expect(bursts.map((b) => b['local_id'])).toEqual(['1', '3']);
    expect(bursts[0]).toMatchObject({ multiple: null, snapshot_fn: null, helio_id: null, cc_y_mhz: null, ske: 1100 });
    expect(bursts[0]!['feat_filename']).toBe('/obs/helio/hfc/frc/rabat3/results/rabat3_203_win_20140221T000000_feat.csv');
    expect(await w.count('view_type_iii_hqi')).toBe(4);
    await sleep(1100);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    const refused = await w.db.one<{ set_key: string; error: string }>(`SELECT set_key, error FROM $1:name.rejected_sets`, [w.hfc]);
    expect(refused.set_key).toBe('rabat3_203_stb_20140221T000000');
    expect(refused.error).toMatch(/its metadata file .*rabat3_203_stb_observatory\.csv has not arrived \(waited 1s\)$/);
    expect(await w.count('observatory')).toBe(2);
  });

  it('RABAT3: the repository metadata files load unmodified (13 fields for 12 headers) where a pipeline declares them', async () => {
    const w = await world('fx-rabat3-repo', {
      code: 'rabat3',
      sets: {
        frcInfo: {
          file: '{code}_{version}_frc_info.csv',
          naturalKey: ['institut', 'code', 'version', 'feature_name'],
          writer: { trailingEmptyFields: 1 },
        },
        observatory: { file: '{code}_{version}_observatory.csv', naturalKey: ['observat', 'instrume', 'telescop', 'wavemin', 'wavemax'] },
      },
    });
    for (const name of [
      'rabat3_203_frc_info.csv',
      'rabat3_203_observatory.csv',
      'rabat3_203_win_20140221T000000_init.csv',
      'rabat3_203_win_20140221T000000_feat.csv',
    ]) {
      await w.copy(path.join(HFC, 'rabat3', name));
    }
    expect((await w.run()).stats).toMatchObject({ loaded: 1, rejected: 0 });
    expect(await w.db.any(`SELECT version, reference, url FROM $1:name.frc_info`, [w.hfc])).toEqual([
      { version: '2.0.3', reference: 'DOI: 10.1029/2008SW000425', url: null },
    ]);
    expect(await w.db.any(`SELECT observat, instrume, telescop FROM $1:name.observatory`, [w.hfc])).toEqual([
      { observat: 'WIND', instrume: 'WAVES', telescop: 'RAD2' },
    ]);
  });

  it('RABAT3: an empty field too many in an init file is refused, not taken for a trailing one (only frc_info has those)', async () => {
    const w = await world('fx-rabat3-extra', { code: 'rabat3' });
    const name = 'rabat3_203_win_20140221T000000_init.csv';
    for (const file of ['rabat3_203_win_frc_info.csv', 'rabat3_203_win_observatory.csv', 'rabat3_203_win_20140221T000000_feat.csv']) {
      await w.copy(path.join(HFC, 'rabat3', file));
    }
    const text = await readFile(path.join(HFC, 'rabat3', name), 'latin1');
    const initPath = await w.write(name, Buffer.from(text.replace('.dat;;Wind/Waves', '.dat;;;Wind/Waves'), 'latin1'));
    expect((await w.run()).stats).toMatchObject({ loaded: 0, rejected: 1 });
    const [row] = await w.ledger();
    expect(row?.error).toBe(`${initPath}:2: expected 26 fields, found 27 (a truncated or broken record; field 27 is "")`);
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
