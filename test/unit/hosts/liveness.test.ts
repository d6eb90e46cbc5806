import { describe, expect, it } from 'vitest';
import { liveness, unscheduled } from '../../../src/hosts/liveness.js';

const now = new Date('2026-11-24T02:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const host = (silentS: number, schedules: string[] = [], stopped = false) => ({
  heartbeatAt: ago(silentS),
  heartbeatMs: 30_000,
  stoppedAt: stopped ? ago(silentS) : null,
  schedules,
});

describe('liveness from the heartbeat', () => {
  it('is alive up to two periods, late up to four, gone beyond or once stopped', () => {
    expect(liveness(host(0), now)).toBe('alive');
    expect(liveness(host(60), now)).toBe('alive');
    expect(liveness(host(61), now)).toBe('late');
    expect(liveness(host(120), now)).toBe('late');
    expect(liveness(host(121), now)).toBe('gone');
    expect(liveness(host(0, [], true), now)).toBe('gone');
  });

  it('lists the stages no live host schedules, in the order given', () => {
    const hosts = [host(10, ['sdoss/run', 'sdoss/upload']), host(100, ['sdoss/ingest']), host(500, ['spoca/run'])].map((h) => ({
      ...h,
      liveness: liveness(h, now),
    }));
    expect(unscheduled(['sdoss/run', 'sdoss/upload', 'sdoss/ingest', 'spoca/run', 'spoca/ingest'], hosts)).toEqual([
      'spoca/run',
      'spoca/ingest',
    ]);
    expect(unscheduled(['sdoss/run'], [])).toEqual(['sdoss/run']);
  });
});
