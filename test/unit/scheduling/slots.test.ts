import { describe, expect, it } from 'vitest';
import { missedSlots, Schedule } from '../../../src/scheduling/slots.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('Schedule in Europe/Paris across both DST changes', () => {
  const nightly = new Schedule('30 2 * * *', 'Europe/Paris');

  it('runs a 02:30 job once on the spring-forward night, at the first valid time after the gap', () => {
    const slots = nightly.between(new Date('2026-03-27T12:00:00Z'), new Date('2026-03-30T12:00:00Z'), 10);
    // 02:30 CET = 01:30Z; 29 March 02:30 does not exist → 03:00 CEST = 01:00Z; then 02:30 CEST = 00:30Z.
    expect(iso(slots)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('runs a 02:30 job once on the fall-back night, at the first occurrence', () => {
    const slots = nightly.between(new Date('2026-10-23T12:00:00Z'), new Date('2026-10-26T12:00:00Z'), 10);
    expect(iso(slots)).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('gives an hourly job both 02:00 hours of the fall-back night and none in the spring gap', () => {
    const hourly = new Schedule('0 * * * *', 'Europe/Paris');
    const autumn = hourly.between(new Date('2026-10-24T23:30:00Z'), new Date('2026-10-25T02:30:00Z'), 10);
    expect(iso(autumn)).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
    const spring = hourly.between(new Date('2026-03-29T00:30:00Z'), new Date('2026-03-29T02:30:00Z'), 10);
    // Local 02:00 does not exist: 01:00Z is 03:00 CEST.
    expect(iso(spring)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
  });
});

describe('missedSlots', () => {
  const hourly = new Schedule('0 * * * *', 'UTC');
  const last = new Date('2026-11-20T10:00:00Z');
  const now = new Date('2026-11-20T15:30:00Z');

  it('none: nothing', () => {
    expect(missedSlots(hourly, last, now, 'none', 10)).toEqual([]);
  });

  it('latest: only the newest missed slot', () => {
    expect(iso(missedSlots(hourly, last, now, 'latest', 10))).toEqual(['2026-11-20T15:00:00.000Z']);
  });

  it('all: every missed slot, bounded to the newest `max`', () => {
    expect(iso(missedSlots(hourly, last, now, 'all', 10))).toEqual([
      '2026-11-20T11:00:00.000Z',
      '2026-11-20T12:00:00.000Z',
      '2026-11-20T13:00:00.000Z',
      '2026-11-20T14:00:00.000Z',
      '2026-11-20T15:00:00.000Z',
    ]);
    expect(iso(missedSlots(hourly, last, now, 'all', 2))).toEqual(['2026-11-20T14:00:00.000Z', '2026-11-20T15:00:00.000Z']);
  });

  it('a stage that never ran has missed nothing', () => {
    expect(missedSlots(hourly, null, now, 'all', 10)).toEqual([]);
  });
});

describe('missedSlots resuming an unfinished last slot', () => {
  const hourly = new Schedule('0 * * * *', 'UTC');
  const last = new Date('2026-11-20T14:00:00Z');

  it('puts the unfinished slot first, and keeps the newest within the policy', () => {
    const now = new Date('2026-11-20T16:30:00Z');
    expect(iso(missedSlots(hourly, last, now, 'all', 10, true))).toEqual([
      '2026-11-20T14:00:00.000Z',
      '2026-11-20T15:00:00.000Z',
      '2026-11-20T16:00:00.000Z',
    ]);
    expect(iso(missedSlots(hourly, last, now, 'latest', 10, true))).toEqual(['2026-11-20T16:00:00.000Z']);
    expect(missedSlots(hourly, last, now, 'none', 10, true)).toEqual([]);
  });

  it('resumes the unfinished slot alone when nothing was missed after it', () => {
    expect(iso(missedSlots(hourly, last, new Date('2026-11-20T14:20:00Z'), 'latest', 10, true))).toEqual(['2026-11-20T14:00:00.000Z']);
  });
});
