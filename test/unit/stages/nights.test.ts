import { describe, expect, it } from 'vitest';
import { isNight, localDate, nightZone, observingNight } from '../../../src/stages/nights.js';

describe('observing nights', () => {
  it('is the date in the file name, in the time zone given', () => {
    expect(observingNight('sdoss_106_20261121T000045_hmi-000045_init.csv', 'Europe/Paris')).toBe('2026-11-21');
    // 23:30 UTC is already the next day in Paris, still that day in New York.
    expect(observingNight('sdoss_106_20261120T233045_hmi_init.csv', 'Europe/Paris')).toBe('2026-11-21');
    expect(observingNight('sdoss_106_20261120T233045_hmi_init.csv', 'America/New_York')).toBe('2026-11-20');
    expect(observingNight('sdoss_106_20261121T043045_hmi_init.csv', 'America/New_York')).toBe('2026-11-20');
    // RABAT3 puts the date after the observatory.
    expect(observingNight('rabat3_203_win_20261121T080045_feat.csv', 'UTC')).toBe('2026-11-21');
  });

  it('is null for a name without a real date', () => {
    expect(observingNight('sdoss_106_frc_info.csv', 'UTC')).toBeNull();
    expect(observingNight('x_20140231T000000.csv', 'UTC')).toBeNull();
    expect(observingNight('x_20140221T007000.csv', 'UTC')).toBeNull();
    expect(observingNight('x_20140221T000070.csv', 'UTC')).toBeNull();
    // A leap second is a real time: 2016-12-31 23:59:60 UTC is still that night.
    expect(observingNight('x_20161231T235960.csv', 'UTC')).toBe('2016-12-31');
  });

  it('names nights as runs do: the calendar date in the zone', () => {
    expect(localDate(new Date('2026-03-29T01:30:00Z'), 'Europe/Paris')).toBe('2026-03-29');
    expect(localDate(new Date('2026-03-28T22:59:59Z'), 'Europe/Paris')).toBe('2026-03-28');
    // The same zone asked again (one formatter per zone) and another zone between.
    expect(localDate(new Date('2026-11-21T23:30:00Z'), 'UTC')).toBe('2026-11-21');
    expect(localDate(new Date('2026-11-21T23:30:00Z'), 'Europe/Paris')).toBe('2026-11-22');
  });

  it("takes the run stage's time zone, else the asking stage's", () => {
    expect(nightZone({ run: { timezone: 'Europe/Paris' } }, 'Asia/Tokyo')).toBe('Europe/Paris');
    expect(nightZone({}, 'Asia/Tokyo')).toBe('Asia/Tokyo');
  });

  it('knows a night of the calendar from one Date.parse would roll over', () => {
    expect(['2026-02-28', '2024-02-29', '2026-12-31', '2026-04-30'].filter(isNight)).toHaveLength(4);
    expect(
      ['2026-02-29', '2026-02-30', '2026-04-31', '2026-00-10', '2026-13-01', '0000-01-01', '2026-1-01', '2026-01-01T00:00'].filter(isNight),
    ).toEqual([]);
  });
});
