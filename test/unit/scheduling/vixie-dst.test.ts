import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { wallClock } from '../../../src/alerts/local-time.js';
import { Schedule } from '../../../src/scheduling/slots.js';

const MINUTE = 60_000;

/** Local wall-clock time of `instant` in `zone`, as milliseconds of a UTC date. */
function wallMs(instant: number, zone: string): number {
  const { year, month, day, minutes } = wallClock(new Date(instant), zone);
  return Date.UTC(year, month - 1, day) + minutes * MINUTE;
}

/**
 * Vixie cron's main loop (cron.c), minute by minute over real instants, as the oracle:
 * - the wall clock moved one minute: every job due at the new minute runs;
 * - it jumped forward by less than 3 hours: wildcard jobs due at the new minute run, and
 *   fixed-time jobs due at every skipped minute (and the new one) run now;
 * - it went back: only wildcard jobs run until it passes the latest minute seen.
 * A job is "wild" when its minute or hour field starts with `*`. A job runs at most once
 * an instant. Matching a wall-clock minute is croner's, in UTC, where no DST exists.
 */
function vixie(pattern: string, zone: string, from: string, to: string): string[] {
  const [minute, hour] = pattern.split(' ') as [string, string];
  const wild = minute.startsWith('*') || hour.startsWith('*');
  const matcher = new Cron(pattern, { timezone: 'UTC', paused: true });
  const due = (wall: number) => matcher.match(new Date(wall));
  const runs: string[] = [];
  let t = Date.parse(from);
  let latest = wallMs(t, zone);
  for (t += MINUTE; t <= Date.parse(to); t += MINUTE) {
    const wall = wallMs(t, zone);
    let runsNow = false;
    if (wall === latest + MINUTE) runsNow = due(wall);
    else if (wall > latest && wall - latest < 3 * 60 * MINUTE) {
      runsNow = wild ? due(wall) : Array.from({ length: (wall - latest) / MINUTE }, (_, i) => latest + (i + 1) * MINUTE).some(due);
    } else if (wall <= latest) runsNow = wild && due(wall);
    if (runsNow) runs.push(new Date(t).toISOString());
    latest = Math.max(latest, wall);
  }
  return runs;
}

const slots = (pattern: string, zone: string, from: string, to: string) =>
  new Schedule(pattern, zone).between(new Date(from), new Date(to), 1000).map((d) => d.toISOString());

/** Local time of each slot, to read the expectations. */
const local = (pattern: string, zone: string, from: string, to: string) =>
  new Schedule(pattern, zone)
    .between(new Date(from), new Date(to), 1000)
    .map((d) => `${d.toLocaleString('sv', { timeZone: zone })} ${d.toISOString().slice(11, 16)}Z`);

describe('Vixie DST rule for lists and ranges, Europe/Paris', () => {
  const spring = ['2026-03-28T12:00:00Z', '2026-03-29T11:00:00Z'] as const;
  const autumn = ['2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z'] as const;

  it('0 2,14 * * *: the 02:00 run moves to 03:00 in spring and runs once in autumn', () => {
    expect(local('0 2,14 * * *', 'Europe/Paris', ...spring)).toEqual(['2026-03-28 14:00:00 13:00Z', '2026-03-29 03:00:00 01:00Z']);
    expect(local('0 2,14 * * *', 'Europe/Paris', ...autumn)).toEqual(['2026-10-25 02:00:00 00:00Z']);
  });

  it('0 1-4 * * *: 02:00 runs once in autumn; in spring it falls on 03:00, which runs once', () => {
    expect(local('0 1-4 * * *', 'Europe/Paris', ...autumn)).toEqual([
      '2026-10-25 01:00:00 23:00Z',
      '2026-10-25 02:00:00 00:00Z',
      '2026-10-25 03:00:00 02:00Z',
      '2026-10-25 04:00:00 03:00Z',
    ]);
    expect(local('0 1-4 * * *', 'Europe/Paris', ...spring)).toEqual([
      '2026-03-29 01:00:00 00:00Z',
      '2026-03-29 03:00:00 01:00Z',
      '2026-03-29 04:00:00 02:00Z',
    ]);
  });

  it('15 1-2 and 0,30 2: once in autumn, moved after the gap in spring', () => {
    expect(local('15 1-2 * * *', 'Europe/Paris', ...autumn)).toEqual(['2026-10-25 01:15:00 23:15Z', '2026-10-25 02:15:00 00:15Z']);
    expect(local('15 1-2 * * *', 'Europe/Paris', ...spring)).toEqual(['2026-03-29 01:15:00 00:15Z', '2026-03-29 03:00:00 01:00Z']);
    expect(local('0,30 2 * * *', 'Europe/Paris', ...autumn)).toEqual(['2026-10-25 02:00:00 00:00Z', '2026-10-25 02:30:00 00:30Z']);
    expect(local('0,30 2 * * *', 'Europe/Paris', ...spring)).toEqual(['2026-03-29 03:00:00 01:00Z']);
  });

  it('a stepped range is a fixed time (it does not start with *); */20 is an interval', () => {
    expect(local('0-59/20 2 * * *', 'Europe/Paris', ...autumn)).toHaveLength(3);
    expect(local('*/20 2 * * *', 'Europe/Paris', ...autumn)).toHaveLength(6);
    expect(local('0-59/20 2 * * *', 'Europe/Paris', ...spring)).toEqual(['2026-03-29 03:00:00 01:00Z']);
    expect(local('*/20 2 * * *', 'Europe/Paris', ...spring)).toEqual([]);
  });
});

describe('Vixie DST rule with a 30-minute shift, Australia/Lord_Howe', () => {
  // Clocks go back from 02:00 (+11) to 01:30 (+10:30) on 5 April 2026, forward from 02:00 to 02:30 on 4 October.
  const autumn = ['2026-04-04T12:00:00Z', '2026-04-05T12:00:00Z'] as const;
  const spring = ['2026-10-03T12:00:00Z', '2026-10-04T12:00:00Z'] as const;

  it('0,30 1 * * * and 45 1-2: once in the repeated half hour', () => {
    expect(local('0,30 1 * * *', 'Australia/Lord_Howe', ...autumn)).toEqual(['2026-04-05 01:00:00 14:00Z', '2026-04-05 01:30:00 14:30Z']);
    expect(local('45 1-2 * * *', 'Australia/Lord_Howe', ...autumn)).toEqual(['2026-04-05 01:45:00 14:45Z', '2026-04-05 02:45:00 16:15Z']);
  });

  it('15 1-2 and 0,15 2: slots in the gap run at 02:30, once', () => {
    expect(local('15 1-2 * * *', 'Australia/Lord_Howe', ...spring)).toEqual(['2026-10-04 01:15:00 14:45Z', '2026-10-04 02:30:00 15:30Z']);
    expect(local('0,15 2 * * *', 'Australia/Lord_Howe', ...spring)).toEqual(['2026-10-04 02:30:00 15:30Z']);
  });
});

describe('Schedule agrees with a minute-by-minute simulation of Vixie cron', () => {
  const patterns = [
    '0 2,14 * * *',
    '0 1-4 * * *',
    '15 1-2 * * *',
    '0,30 2 * * *',
    '30 2 * * *',
    '0-59/20 1-3 * * *',
    '10,40 0-23/2 * * *',
    '0 0-23 * * *',
    '*/30 2 * * *',
    '0 * * * *',
    '15,45 * * * *',
    '*/15 1-3 * * *',
  ];
  const windows: [string, string, string][] = [
    ['Europe/Paris', '2026-03-28T20:00:00Z', '2026-03-29T06:00:00Z'],
    ['Europe/Paris', '2026-10-24T20:00:00Z', '2026-10-25T06:00:00Z'],
    ['Australia/Lord_Howe', '2026-04-04T12:00:00Z', '2026-04-04T20:00:00Z'],
    ['Australia/Lord_Howe', '2026-10-03T12:00:00Z', '2026-10-03T20:00:00Z'],
  ];
  for (const [zone, from, to] of windows) {
    it(`${zone} from ${from}`, () => {
      for (const pattern of patterns) {
        expect({ pattern, slots: slots(pattern, zone, from, to) }).toEqual({ pattern, slots: vixie(pattern, zone, from, to) });
      }
    });
  }
});
