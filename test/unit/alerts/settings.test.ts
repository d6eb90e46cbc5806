import { describe, expect, it } from 'vitest';
import { destinationsFor } from '../../../src/alerts/destinations.js';
import { localText, nightOf, quietUntil, spanText } from '../../../src/alerts/local-time.js';
import { routesFor, thresholdsFor } from '../../../src/alerts/settings.js';
import { parseFreeSpace } from '../../../src/config/free-space.js';
import { alertConfig, at, settingsOf } from './world.js';

const config = alertConfig(
  {
    sdoss: { stages: { run: { schedule: '0 2 * * *' } }, alerts: { slotMissed: { grace: '20m' }, workStuck: { enabled: false } } },
    'spoca-ar': { stages: { run: { schedule: '0 2 * * *' } } },
  },
  {
    timezone: 'Europe/Paris',
    slotMissed: { grace: '2h' },
    email: { host: 'smtp.example.org', from: 'nocturne@example.org' },
    webhooks: { chat: { url: 'https://chat.example.org/hooks/x' } },
    routes: {
      sysadmins: { kinds: ['host_stopped', 'disk_low', 'slot_missed'], email: ['ops@example.org'], webhooks: ['chat'] },
      spoca: { pipelines: ['spoca-*'], kinds: ['work_failed'], email: ['ana@example.org'], quietHours: { from: '22:00', to: '07:00' } },
      everything: { email: ['ops@example.org'], quietHours: { from: '20:00', to: '06:00' } },
    },
  },
);
const settings = settingsOf(config);

describe('alert settings', () => {
  it("take a pipeline's own thresholds over the defaults, key by key", () => {
    expect(thresholdsFor(settings, 'sdoss').slotMissed).toEqual({ enabled: true, graceMs: 20 * 60_000 });
    expect(thresholdsFor(settings, 'sdoss').workStuck).toEqual({ enabled: false, afterMs: 2 * 3_600_000 });
    expect(thresholdsFor(settings, 'spoca-ar').slotMissed).toEqual({ enabled: true, graceMs: 2 * 3_600_000 });
    expect(thresholdsFor(settings, '').diskLow).toEqual({ enabled: true, minFree: { percent: 5 }, text: '5%' });
  });

  it('route incidents by kind and pipeline (globs); an incident of no pipeline goes only to routes without a pipelines filter', () => {
    const names = (kind: Parameters<typeof routesFor>[1], pipeline: string) => routesFor(settings, kind, pipeline).map((r) => r.name);
    expect(names('work_failed', 'spoca-ar')).toEqual(['spoca', 'everything']);
    expect(names('work_failed', 'sdoss')).toEqual(['everything']);
    expect(names('host_stopped', '')).toEqual(['sysadmins', 'everything']);
  });

  it('send each destination one message however many routes match, held only while all of them are quiet', () => {
    // 23:00 in Paris: sysadmins is never quiet, "everything" is until 06:00.
    const night = at('2026-11-21T22:00:00Z');
    expect(destinationsFor(settings, 'host_stopped', '', night)).toEqual([
      { destination: 'email:ops@example.org', routes: ['sysadmins', 'everything'], notBefore: night },
      { destination: 'webhook:chat', routes: ['sysadmins'], notBefore: night },
    ]);
    expect(destinationsFor(settings, 'work_failed', 'spoca-ar', night)).toEqual([
      { destination: 'email:ana@example.org', routes: ['spoca'], notBefore: at('2026-11-22T06:00:00Z') },
      { destination: 'email:ops@example.org', routes: ['everything'], notBefore: at('2026-11-22T05:00:00Z') },
    ]);
  });

  it('parse free-space thresholds', () => {
    expect([parseFreeSpace('5%'), parseFreeSpace('10GB'), parseFreeSpace('500MiB')]).toEqual([
      { percent: 5 },
      { bytes: 1e10 },
      { bytes: 500 * 2 ** 20 },
    ]);
  });
});

describe('local time', () => {
  it('puts everything from noon to noon in one night, in the configured zone', () => {
    const noon = 12 * 60;
    expect(nightOf(at('2026-11-21T22:00:00Z'), 'Europe/Paris', noon)).toBe('2026-11-21');
    expect(nightOf(at('2026-11-22T10:59:00Z'), 'Europe/Paris', noon)).toBe('2026-11-21');
    expect(nightOf(at('2026-11-22T11:00:00Z'), 'Europe/Paris', noon)).toBe('2026-11-22');
    expect(nightOf(at('2026-11-22T00:30:00Z'), 'UTC', 0)).toBe('2026-11-22');
  });

  it('knows quiet hours across midnight, and when they end (DST included)', () => {
    const hours = { from: 22 * 60, to: 7 * 60 };
    expect(quietUntil(at('2026-11-21T20:59:00Z'), 'Europe/Paris', hours)).toBeNull();
    expect(quietUntil(at('2026-11-21T21:00:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-11-22T06:00:00Z'));
    expect(quietUntil(at('2026-11-22T05:59:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-11-22T06:00:00Z'));
    expect(quietUntil(at('2026-11-22T06:00:00Z'), 'Europe/Paris', hours)).toBeNull();
    // The night the clocks go back (25 October 2026): 07:00 is UTC+1 again.
    expect(quietUntil(at('2026-10-24T21:00:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-10-25T06:00:00Z'));
    expect(quietUntil(at('2026-11-22T03:00:00Z'), 'UTC', { from: 0, to: 0 })).toBeNull();
  });

  it('ends quiet hours whose end falls in the spring-forward gap at the first instant after it', () => {
    // 29 March 2026, Europe/Paris: 02:00 UTC+1 is followed by 03:00 UTC+2 (01:00Z); 02:30 does not exist.
    const hours = { from: 22 * 60, to: 2 * 60 + 30 };
    expect(quietUntil(at('2026-03-29T00:10:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-03-29T01:00:00Z'));
    expect(quietUntil(at('2026-03-29T00:50:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-03-29T01:00:00Z'));
    expect(quietUntil(at('2026-03-29T00:50:00Z'), 'Europe/Paris', { from: 22 * 60, to: 2 * 60 })).toEqual(at('2026-03-29T01:00:00Z'));
    expect(quietUntil(at('2026-03-29T01:00:00Z'), 'Europe/Paris', hours)).toBeNull();
    // An end after the gap is that wall-clock time, in summer time.
    expect(quietUntil(at('2026-03-28T21:00:00Z'), 'Europe/Paris', { from: 22 * 60, to: 7 * 60 })).toEqual(at('2026-03-29T05:00:00Z'));
  });

  it('ends quiet hours whose end falls in the fall-back overlap at its first occurrence', () => {
    // 25 October 2026, Europe/Paris: 03:00 UTC+2 is followed by 02:00 UTC+1 (01:00Z); 02:30 happens twice.
    const hours = { from: 22 * 60, to: 2 * 60 + 30 };
    expect(quietUntil(at('2026-10-24T21:00:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-10-25T00:30:00Z'));
    // 02:10 the second time round is inside them again, until 02:30 the second time.
    expect(quietUntil(at('2026-10-25T01:10:00Z'), 'Europe/Paris', hours)).toEqual(at('2026-10-25T01:30:00Z'));
  });

  it('writes times and spans for people', () => {
    expect(localText(at('2026-11-22T01:14:00Z'), 'Europe/Paris')).toBe('2026-11-22 02:14 Europe/Paris');
    expect([spanText(40_000), spanText(5 * 60_000), spanText(86 * 60_000), spanText(52 * 3_600_000)]).toEqual([
      '40 s',
      '5 min',
      '1 h 26 min',
      '2 d 4 h',
    ]);
  });
});
