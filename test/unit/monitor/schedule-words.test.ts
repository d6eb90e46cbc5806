import { describe, expect, it } from 'vitest';
import { lastNights, newestZone } from '../../../src/monitor/nights.js';
import { scheduleInWords } from '../../../src/monitor/schedule-words.js';

describe('schedules in words', () => {
  it.each([
    ['0 2 * * *', 'every day at 02:00'],
    ['5 * * * *', 'every hour at minute 5'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['* * * * *', 'every minute'],
    ['30 */6 * * *', 'every 6 hours at minute 30'],
    ['0 2,14 * * *', 'every day at 02:00, 14:00'],
    ['15 3 * * 1', 'every Monday at 03:15'],
    ['0 0 1 * *', 'cron "0 0 1 * *"'],
  ])('%s → %s', (pattern, words) => {
    expect(scheduleInWords(pattern)).toBe(words);
  });
});

describe('nights', () => {
  it("end, by default, with the newest night of the stages' zones (the quicklooks page's default)", () => {
    const at = new Date('2026-11-21T20:00:00Z');
    const track = (tz: string) => ({ name: 'p', stage: 'upload' as const, tz });
    expect(newestZone(at, [track('America/Santiago'), track('Australia/Sydney'), track('UTC')])).toBe('Australia/Sydney');
    expect(newestZone(at, [track('America/Santiago')])).toBe('America/Santiago');
    expect(newestZone(at, [])).toBe('UTC');
  });

  it('are the last nights up to the night of the instant in the stage time zone', () => {
    expect(lastNights(new Date('2026-11-21T23:30:00Z'), 'Europe/Paris', 2)).toEqual(['2026-11-22', '2026-11-21']);
    expect(lastNights(new Date('2026-03-01T10:00:00Z'), 'UTC', 3)).toEqual(['2026-03-01', '2026-02-28', '2026-02-27']);
  });
});
