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

  const NOT_A_TIMESTAMP =
    'is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fff][Z], with a space instead of T, or a _TAI suffix, or YYYY.MM.DD_HH:MM:SS_TAI)';
  const OUT_OF_RANGE = 'is not a valid date or time (month, day, hour, minute or second out of range)';
  it.each([
    ['2014-02-30T00:00:00', `"2014-02-30T00:00:00" ${OUT_OF_RANGE}`],
    ['2014-02-21T24:00:00', `"2014-02-21T24:00:00" ${OUT_OF_RANGE}`],
    ['2014-02-21', `"2014-02-21" ${NOT_A_TIMESTAMP}`],
    ['21/02/2014 00:00:00', `"21/02/2014 00:00:00" ${NOT_A_TIMESTAMP}`],
    ['2014-02-21T00:00:45+01:00', `"2014-02-21T00:00:45+01:00" ${NOT_A_TIMESTAMP}`],
    [
      '2014.02.21_00:00:45',
      '"2014.02.21_00:00:45": the JSOC form YYYY.MM.DD_HH:MM:SS is TAI and needs its _TAI suffix (or write YYYY-MM-DD for UTC)',
    ],
    [
      '2014.02.21T00:00:45Z',
      '"2014.02.21T00:00:45Z": the JSOC form YYYY.MM.DD_HH:MM:SS is TAI and needs its _TAI suffix (or write YYYY-MM-DD for UTC)',
    ],
    ['0000-01-01T00:00:00', '"0000-01-01T00:00:00": there is no year 0000'],
    ['0000-01-01T00:00:00Z', '"0000-01-01T00:00:00Z": there is no year 0000'],
  ])('refuses %s, saying why', (text, reason) => {
    expect(parseHfcTimestamp(text)).toBeUndefined();
    expect(hfcTimestampReason(text)).toBe(reason);
  });

  it('refuses TAI before the leap-second table', () => {
    expect(parseHfcTimestamp('1969-07-20T20:17:40_TAI')).toBeUndefined();
    expect(hfcTimestampReason('1969-07-20T20:17:40_TAI')).toBe('"1969-07-20T20:17:40_TAI": TAI before 1972 cannot be converted to UTC');
  });
});
