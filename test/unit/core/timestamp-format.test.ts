import { describe, expect, it } from 'vitest';
import { compileTimestampFormat } from '../../../src/core/timestamp-format.js';

describe('compileTimestampFormat', () => {
  const hfc = compileTimestampFormat('%Y-%m-%dT%H:%M:%S');

  it('reads the HFC format as UTC and writes PostgreSQL input text', () => {
    expect(hfc.parse('2014-02-21T00:00:45')).toBe('2014-02-21 00:00:45+00');
    expect(hfc.parse('2024-02-29T23:59:59')).toBe('2024-02-29 23:59:59+00');
    expect(hfc.parse('2016-12-31T23:59:60')).toBe('2016-12-31 23:59:60+00');
  });

  it('refuses what does not match, with the reason', () => {
    expect(hfc.parse('2014-02-21 00:00:45')).toBeUndefined();
    expect(hfc.reason('2014-02-21 00:00:45')).toBe(
      '"2014-02-21 00:00:45" is not a timestamp in the format %Y-%m-%dT%H:%M:%S: expected "T" at character 11',
    );
    expect(hfc.reason('2014-2-21T00:00:45')).toMatch(/expected 2 digits for %m at character 6/);
    expect(hfc.reason('2014-02-21T00:00:45Z')).toMatch(/unexpected "Z" after the timestamp/);
    expect(hfc.reason('2014-02-21T00:00')).toMatch(/expected ":" at character 17/);
  });

  it('checks calendar ranges, leap years included', () => {
    expect(hfc.reason('2023-02-29T00:00:00')).toMatch(/day 29 is out of range for 2023-02$/);
    expect(hfc.parse('2000-02-29T00:00:00')).toBe('2000-02-29 00:00:00+00');
    expect(hfc.parse('1900-02-29T00:00:00')).toBeUndefined();
    expect(hfc.reason('2014-13-01T00:00:00')).toMatch(/month 13 is out of range/);
    expect(hfc.reason('2014-04-31T00:00:00')).toMatch(/day 31 is out of range/);
    expect(hfc.reason('2014-01-01T24:00:00')).toMatch(/hour 24 is out of range/);
    expect(hfc.reason('2014-01-01T00:60:00')).toMatch(/minute 60 is out of range/);
    expect(hfc.reason('0000-01-01T00:00:00')).toMatch(/year 0 is out of range/);
  });

  it('keeps fractions of up to six digits (%f)', () => {
    const withFraction = compileTimestampFormat('%Y-%m-%dT%H:%M:%S.%f');
    expect(withFraction.parse('2010-04-02T01:35:03.427')).toBe('2010-04-02 01:35:03.427+00');
    expect(withFraction.parse('2010-04-02T01:35:03.123456')).toBe('2010-04-02 01:35:03.123456+00');
    expect(withFraction.parse('2010-04-02T01:35:03.1234567')).toBeUndefined();
    expect(withFraction.reason('2010-04-02T01:35:03.')).toMatch(/expected a fraction/);
  });

  it('converts zone offsets (%z) to UTC across day, month and year boundaries', () => {
    const zoned = compileTimestampFormat('%Y-%m-%dT%H:%M:%S%z');
    expect(zoned.parse('2026-11-20T23:30:00+01:00')).toBe('2026-11-20 22:30:00+00');
    expect(zoned.parse('2026-12-31T23:30:00-0100')).toBe('2027-01-01 00:30:00+00');
    expect(zoned.parse('2026-03-01T00:30:00+02')).toBe('2026-02-28 22:30:00+00');
    expect(zoned.parse('2026-11-20T23:30:00Z')).toBe('2026-11-20 23:30:00+00');
    expect(zoned.reason('2026-11-20T23:30:00+25:00')).toMatch(/time zone \+25:00 is out of range/);
    expect(zoned.reason('2026-11-20T23:30:00 UTC')).toMatch(/expected a time zone/);
  });

  it('accepts literal text such as the JSOC TAI suffix, and %%', () => {
    const jsoc = compileTimestampFormat('%Y.%m.%d_%H:%M:%S_TAI');
    expect(jsoc.parse('2014.02.21_00:00:45_TAI')).toBe('2014-02-21 00:00:45+00');
    expect(compileTimestampFormat('%Y%m%d%%').parse('20140221%')).toBe('2014-02-21 00:00:00+00');
  });

  it('refuses formats it cannot honour when compiled', () => {
    expect(() => compileTimestampFormat('%d/%b/%Y')).toThrow(/unsupported directive %b/);
    expect(() => compileTimestampFormat('%H:%M')).toThrow(/has no %Y/);
    expect(() => compileTimestampFormat('%Y-%m-%d %')).toThrow(/unsupported directive %/);
  });
});
