import { describe, expect, it } from 'vitest';
import { parseCron } from '../../../src/config/cron-pattern.js';
import { Schedule } from '../../../src/scheduling/slots.js';

const refusal = (pattern: string) => {
  try {
    parseCron(pattern);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`"${pattern}" was accepted`);
};

const days = (pattern: string) =>
  new Schedule(pattern, 'UTC').between(new Date('2026-06-01T00:00:00Z'), new Date('2026-06-30T23:59:59Z'), 100).map((d) => d.getUTCDate());

describe('the accepted cron syntax (docs/operating.md, "Schedules")', () => {
  it('takes 5 fields of *, */n, values, ranges, stepped ranges and lists, with month and day names', () => {
    for (const pattern of [
      '0 2 * * *',
      '*/15 * * * *',
      '0-59/20 1-3 * * *',
      '5,35 2,14 1-15 jan-mar,dec mon-fri',
      '0 2 * * SUN',
      '0 2 * * 7',
    ]) {
      expect(() => parseCron(pattern), pattern).not.toThrow();
    }
  });

  it('takes a sixth field, first, for seconds, when it selects several seconds', () => {
    expect(parseCron('*/2 * * * * *').firesPerMinute).toBe(30);
    expect(parseCron('0,30 0 2 * * *').firesPerMinute).toBe(2);
    expect(parseCron('0 2 * * *').firesPerMinute).toBe(1);
  });

  it('matches a day on either day field when both are restricted, on both when one starts with * (Vixie)', () => {
    // June 2026: Mondays are the 1st, 8th, 15th, 22nd and 29th.
    expect(days('0 0 1,15 * mon')).toEqual([8, 15, 22, 29]);
    expect(days('0 0 */2 * mon')).toEqual([15, 29]);
    expect(days('0 0 1-31/2 * mon')).toEqual([3, 5, 7, 8, 9, 11, 13, 15, 17, 19, 21, 22, 23, 25, 27, 29]);
    expect(days('0 0 * * mon')).toEqual([8, 15, 22, 29]);
  });

  it('refuses everything else, saying which field and how to write it', () => {
    expect(refusal('*/15 * * * * * *')).toBe(
      '7 fields: a year field is not accepted; write 5 fields (minute hour day-of-month month day-of-week)',
    );
    expect(refusal('0 2 * * * *')).toBe(
      '6 fields: the first is then seconds, "2" the minute and "*" the hour; a seconds field is only for schedules that fire several times a minute: write 5 fields (e.g. "0 2 * * *")',
    );
    expect(refusal('@daily')).toBe('@nicknames are not accepted; write its 5 fields instead: "0 0 * * *"');
    expect(refusal('@reboot')).toBe('@nicknames are not accepted; write 5 fields (minute hour day-of-month month day-of-week)');
    expect(refusal('0 2 L * *')).toBe('field 3 (day-of-month) "L": Quartz\'s L, W, # and ? are not accepted');
    expect(refusal('0 2 15W * *')).toBe('field 3 (day-of-month) "15W": Quartz\'s L, W, # and ? are not accepted');
    expect(refusal('0 2 * * 5#3')).toBe('field 5 (day-of-week) "5#3": Quartz\'s L, W, # and ? are not accepted');
    expect(refusal('0 2 ? * *')).toBe('field 3 (day-of-month) "?": Quartz\'s L, W, # and ? are not accepted');
    expect(refusal('5/15 * * * *')).toBe('field 1 (minute) "5/15": a step needs "*" or a range before it: write "5-59/15"');
    expect(refusal('0 24 * * *')).toBe('field 2 (hour) "24": 24 is not in 0-23');
    expect(refusal('0 5-2 * * *')).toBe('field 2 (hour) "5-2": the range 5-2 goes backwards');
    expect(refusal('*/0 * * * *')).toBe('field 1 (minute) "*/0": step 0 must be at least 1');
    expect(refusal('0 2 * foo *')).toBe('field 4 (month) "foo": "foo" is not a number or a name (jan-dec)');
    expect(refusal('0 2,,3 * * *')).toBe('field 2 (hour) "2,,3": an empty item in the list');
    expect(refusal('0 2 * *')).toBe('4 fields: write 5 (minute hour day-of-month month day-of-week)');
  });
});
