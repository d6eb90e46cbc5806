import { describe, expect, it } from 'vitest';
import { hfcTimestampReason, parseHfcTimestamp } from '../../../src/adapters/csv/hfc-timestamp.js';

describe('HFC lenient timestamps', () => {
  it.each([
    ['2014-02-21T00:00:45', '2014-02-21 00:00:45+00'],
    ['2014-02-21 00:00:45', '2014-02-21 00:00:45+00'],
    ['2005-04-02T01:35:03.426', '2005-04-02 01:35:03.426+00'],
    ['2005-04-02T01:35:03.426Z', '2005-04-02 01:35:03.426+00'],
    ['2014-02-21T00:00:45Z', '2014-02-21 00:00:45+00'],
  ])('reads %s as UTC', (text, expected) => {
    expect(parseHfcTimestamp(text)).toBe(expected);
  });

  it.each([
    // TAI − UTC: 35 s from 2012-07-01, 36 s from 2015-07-01, 37 s from 2017-01-01, 34 s from 2009-01-01.
    ['2014-02-21T00:00:45_TAI', '2014-02-21 00:00:10+00'],
    ['2014.02.21_00:00:45_TAI', '2014-02-21 00:00:10+00'],
    ['2017-01-01T00:00:37_TAI', '2017-01-01 00:00:00+00'],
    ['2016-12-31T23:59:59_TAI', '2016-12-31 23:59:23+00'],
    ['2010-06-01T12:00:00.5_TAI', '2010-06-01 11:59:26.5+00'],
    ['2016-01-01T00:00:00_TAI', '2015-12-31 23:59:24+00'],
  ])('converts TAI %s to UTC', (text, expected) => {
    expect(parseHfcTimestamp(text)).toBe(expected);
  });

  it.each(['2014-02-30T00:00:00', '2014-02-21', '21/02/2014 00:00:00', '2014.02.21_00:00:45', '2014-02-21T24:00:00', '2014-02-21T00:00:45+01:00'])(
    'refuses %s with a reason',
    (text) => {
      expect(parseHfcTimestamp(text)).toBeUndefined();
      expect(hfcTimestampReason(text)).toMatch(new RegExp(`^"${text.replaceAll('.', '\\.').replaceAll('+', '\\+')}"`));
    },
  );

  it('refuses TAI before the leap-second table', () => {
    expect(parseHfcTimestamp('1969-07-20T20:17:40_TAI')).toBeUndefined();
    expect(hfcTimestampReason('1969-07-20T20:17:40_TAI')).toMatch(/TAI before 1972/);
  });
});
