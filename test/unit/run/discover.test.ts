import { describe, expect, it } from 'vitest';
import { globForNight, nightsToScan, obsId } from '../../../src/stages/run/discover.js';

describe('input discovery', () => {
  it('scans the run date and the nights before it, across month ends', () => {
    expect(nightsToScan('2026-03-01', 2)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(nightsToScan('2026-11-20', 0)).toEqual(['2026-11-20']);
  });

  it('refuses a date the calendar does not have, rather than scanning the night it rolls over to', () => {
    expect(() => nightsToScan('2026-11-31', 0)).toThrow('not a date: "2026-11-31"');
    expect(() => nightsToScan('2026-02-29', 0)).toThrow('not a date');
    expect(nightsToScan('2028-02-29', 0)).toEqual(['2028-02-29']);
  });

  it('fills the date placeholders of the glob', () => {
    expect(globForNight('/data/{yyyy}/{mm}/{dd}/hmi_{yyyy}{mm}{dd}_*.fits', '2026-01-02')).toBe('/data/2026/01/02/hmi_20260102_*.fits');
  });

  it('names an observation after its file', () => {
    expect(obsId('/data/hmi_000045.obs')).toBe('hmi_000045');
    expect(obsId('/data/a.b.fits')).toBe('a.b');
    expect(obsId('/data/.hidden')).toBe('.hidden');
  });
});
