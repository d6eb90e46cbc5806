import { describe, expect, it } from 'vitest';
import { compileGrammar } from '../../../src/stages/ingest/sets/file-names.js';

const meta = { frcInfo: { file: '{code}_{version}_frc_info.csv' }, observatory: { file: '{code}_{version}_observatory.csv' } };

/** SPoCA-AR's grammar, its sets and its track files named by `files`. */
function spocaTracks(files: string) {
  return compileGrammar(
    {
      files,
      roles: { init: 'init', feat: 'feat', track: 'track' },
      tracking: { table: 't', references: {}, files, code: 'spoca' },
      ...meta,
    } as never,
    { name: 'spoca-ar', version: '3.01' },
  );
}

describe('set file name grammar', () => {
  it('groups SDOSS members by set key, and recognises the metadata files', () => {
    const grammar = compileGrammar(
      {
        files: '{code}_{version}_{date}_{obs}_{role}.csv',
        roles: { init: 'init', feat: 'feat', track: 'track' },
        tracking: { table: 't', references: {} },
        ...meta,
      } as never,
      { name: 'sdoss', version: '1.06' },
    );
    expect(grammar.read('sdoss_106_20140221T000045_sdo_feat.csv')).toEqual({
      kind: 'member',
      role: 'feat',
      word: 'feat',
      key: 'sdoss_106_20140221T000045_sdo',
      reemissionKey: 'sdoss_*_20140221T000045_sdo',
      obs: 'sdo',
    });
    expect(grammar.read('sdoss_106_20140221T000045_sdo_init.csv')).toMatchObject({ role: 'init', key: 'sdoss_106_20140221T000045_sdo' });
    expect(grammar.read('sdoss_106_20140221T000045_sdo_track.csv')).toMatchObject({
      role: 'track',
      key: 'sdoss_106_20140221T000045_sdo_track',
    });
    expect(grammar.read('sdoss_106_frc_info.csv')).toEqual({ kind: 'metadata', part: 'frcInfo' });
    expect(grammar.read('sdoss_105_20140221T000045_sdo_feat.csv')).toBeUndefined();
    expect(grammar.read('sdoss_106_2014-02-21_sdo_feat.csv')).toBeUndefined();
    expect(grammar.read('hmi.ic.jpg')).toBeUndefined();
  });

  it('reads RABAT3 (observatory before the date) and SoSoFT (_obs for init, any case of the code)', () => {
    const rabat3 = compileGrammar(
      { files: '{code}_{version}_{obs}_{date}_{role}.csv', roles: { init: 'init', feat: 'feat' }, ...meta } as never,
      { name: 'rabat3', version: '2.03' },
    );
    expect(rabat3.read('rabat3_203_nda_20140101T120000_init.csv')).toMatchObject({ role: 'init', key: 'rabat3_203_nda_20140101T120000' });
    const sosoft = compileGrammar(
      { files: '{code}_{version}_{date}_{obs}_{role}.csv', roles: { obs: 'init', feat: 'feat' }, ...meta } as never,
      { name: 'sosoft', version: '1.0' },
    );
    expect(sosoft.read('SoSoFT_10_20140118T120056_meu2_obs.csv')).toEqual({
      kind: 'member',
      role: 'init',
      word: 'obs',
      key: 'SoSoFT_10_20140118T120056_meu2',
      reemissionKey: 'SoSoFT_*_20140118T120056_meu2',
      obs: 'meu2',
    });
    expect(sosoft.read('SoSoFT_10_20140118T120056_meu2_feat.csv')).toMatchObject({ key: 'SoSoFT_10_20140118T120056_meu2' });
  });

  it('gives a set or track file whose names carry no version a re-emission key equal to its key', () => {
    const grammar = compileGrammar({ files: '{code}_{date}_{obs}_{role}.csv', roles: { init: 'init', feat: 'feat' }, ...meta } as never, {
      name: 'sdoss',
      version: '1.06',
    });
    expect(grammar.read('sdoss_20140221T000045_sdo_feat.csv')).toMatchObject({
      key: 'sdoss_20140221T000045_sdo',
      reemissionKey: 'sdoss_20140221T000045_sdo',
    });
    const tracks = spocaTracks('{code}_{date}_{obs}_{role}.csv');
    expect(tracks.read('spoca_20140221T000009_sdo_track.csv')).toMatchObject({
      key: 'spoca_20140221T000009_sdo_track',
      reemissionKey: 'spoca_20140221T000009_sdo_track',
    });
  });

  it('leaves track files out when no tracking is declared', () => {
    const grammar = compileGrammar(
      { files: '{code}_{version}_{date}_{obs}_{role}.csv', roles: { init: 'init', feat: 'feat', track: 'track' }, ...meta } as never,
      { name: 'sdoss', version: '1.06' },
    );
    expect(grammar.read('sdoss_106_20140221T000045_sdo_track.csv')).toBeUndefined();
  });

  it('reads track files by their own pattern and code name, and names the feature set of a track row', () => {
    const grammar = spocaTracks('{code}_{version}_{date}_{obs}_{role}.csv');
    expect(grammar.read('spoca_301_20140221T000009_sdo_track.csv')).toEqual({
      kind: 'member',
      role: 'track',
      word: 'track',
      key: 'spoca_301_20140221T000009_sdo_track',
      reemissionKey: 'spoca_*_20140221T000009_sdo_track',
      obs: 'sdo',
    });
    expect(grammar.read('spoca-ar_301_20140221T000009_sdo_track.csv')).toBeUndefined();
    expect(grammar.read('spoca_301_20140221T000009_sdo_feat.csv')).toBeUndefined();
    expect(grammar.featureSetKey('/obs/maps/spoca-ar_301_20140221T000009_sdo.armap.fits')).toBe('spoca-ar_301_20140221T000009_sdo');
    expect(grammar.featureSetKey('spoca-ar_301_20140221T000009_sdo_feat.csv')).toBe('spoca-ar_301_20140221T000009_sdo');
  });

  it('reads per-set metadata names ({obs}) and declared other names, in the order they are tried', () => {
    const grammar = compileGrammar(
      {
        files: '{code}_{version}_{obs}_{date}_{role}.csv',
        roles: { init: 'init', feat: 'feat' },
        frcInfo: { file: ['{code}_{version}_{obs}_frc_info.csv', '{code}_{version}_frc_info.csv'] },
        observatory: { file: 'rabat3_203_{obs}_observatory.csv' },
      } as never,
      { name: 'rabat3', version: '2.03' },
    );
    expect(grammar.read('rabat3_203_win_frc_info.csv')).toEqual({ kind: 'metadata', part: 'frcInfo' });
    expect(grammar.read('rabat3_203_frc_info.csv')).toEqual({ kind: 'metadata', part: 'frcInfo' });
    expect(grammar.read('rabat3_203_sta_observatory.csv')).toEqual({ kind: 'metadata', part: 'observatory' });
    expect(grammar.read('rabat3_203_observatory.csv')).toBeUndefined();
    expect(grammar.metadataNames('frcInfo', 'win')).toEqual(['rabat3_203_win_frc_info.csv', 'rabat3_203_frc_info.csv']);
    expect(grammar.metadataNames('frcInfo', undefined)).toEqual(['rabat3_203_frc_info.csv']);
  });
});
