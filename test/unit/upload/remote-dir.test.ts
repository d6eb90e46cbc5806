import { describe, expect, it } from 'vitest';
import { checkRemoteDirTemplate, fileDate, remotePathFor, renderRemoteDir } from '../../../src/stages/upload/remote-dir.js';

const values = { pipeline: 'sdoss-hmi', code: 'sdoss', version: '1.0.6' };
const MTIME = Date.UTC(2020, 5, 7, 8, 9, 10);

describe('fileDate', () => {
  it.each([
    ['sdoss_106_20140221T000045_sdo_feat.csv', '2014-02-21T00:00:45.000Z'],
    ['SoSoFT_10_20140118T120056_meu2_obs.csv', '2014-01-18T12:00:56.000Z'],
    ['trackrs_100_20140221T000000_nan_track.csv', '2014-02-21T00:00:00.000Z'],
    // No stamp, an impossible one, or digits that run on: the file's mtime.
    ['hmi.ic_45s.2014.02.21_00_00_45_TAI.continuum.jpg', '2020-06-07T08:09:10.000Z'],
    ['x_20140231T000000.csv', '2020-06-07T08:09:10.000Z'],
    ['x_20141301T000000.csv', '2020-06-07T08:09:10.000Z'],
    ['x_120140221T0000451.csv', '2020-06-07T08:09:10.000Z'],
  ])('%s → %s', (name, iso) => {
    expect(fileDate(name, MTIME).toISOString()).toBe(iso);
  });
});

describe('remote directory template', () => {
  it('fills every placeholder', () => {
    expect(renderRemoteDir('/hfc/{pipeline}/{code}-{version}/{yyyy}/{mm}/{dd}/', values, new Date(Date.UTC(2014, 1, 3)))).toBe(
      '/hfc/sdoss-hmi/sdoss-1.0.6/2014/02/03',
    );
  });

  it('keeps a file below the outbox at the same depth below the directory', () => {
    const file = { path: '/o/obs/a_20131231T235959.csv', relative: 'obs/a_20131231T235959.csv', mtimeMs: MTIME };
    expect(remotePathFor('hfc/{yyyy}', values, file)).toBe('hfc/2013/obs/a_20131231T235959.csv');
  });

  it('refuses an unknown placeholder, naming the pipeline file', () => {
    expect(() => checkRemoteDirTemplate('/hfc/{year}/{code}', 'pipelines/sdoss.yaml')).toThrow(
      'pipelines/sdoss.yaml: upload.remoteDir "/hfc/{year}/{code}" has an unknown placeholder {year} (known: {pipeline} {code} {version} {yyyy} {mm} {dd})',
    );
    expect(() => checkRemoteDirTemplate('/hfc/{code}/{yyyy}', 'p.yaml')).not.toThrow();
  });

  it('refuses a directory that would climb out, e.g. through a version of ".."', () => {
    expect(() => renderRemoteDir('/hfc/{version}/x', { ...values, version: '..' }, new Date())).toThrow(
      expect.objectContaining({ code: 'PATH_UNSAFE' }),
    );
  });
});
