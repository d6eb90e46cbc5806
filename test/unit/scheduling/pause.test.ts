import { afterEach, describe, expect, it } from 'vitest';
import type { ExecuteFn } from '../../../src/scheduling/scheduler.js';
import { harness } from './harness.js';
import { testConfig, type StageTiming } from './test-config.js';

const MIN = 60_000;
const at = (text: string) => new Date(text);

let stopAll: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(stopAll.map((stop) => stop()));
  stopAll = [];
});

/**
 * A scheduler whose paused stages are `paused` (what the pauses table would say), read
 * every minute; each execution checks it too, as executeStage does before beginRun.
 */
async function withPauses(start: string, run: StageTiming, pausePollMs = MIN) {
  const paused = new Set<string>();
  /** Slots whose execution found the stage paused. */
  const refused: string[] = [];
  const holder: { execute?: ExecuteFn } = {};
  const h = harness(start, {
    pausedStages: async () => new Set(paused),
    pausePollMs,
    execute: (config, req, signal) => {
      if (paused.has(`${req.pipeline}/${req.stage}`)) {
        refused.push(req.slot.toISOString().slice(11, 16));
        const pause = { pipeline: req.pipeline, stage: req.stage, reason: 'maintenance', pausedBy: 'ops@hal', pausedAt: new Date(0) };
        return Promise.resolve({ kind: 'not-run', reason: 'paused', paused: pause });
      }
      return holder.execute!(config, req, signal);
    },
  });
  holder.execute = h.runs.execute;
  await h.scheduler.start(testConfig({ eit: { run } }));
  stopAll.push(async () => {
    const stopping = h.scheduler.stop(MIN, MIN);
    await h.time.advance(3 * MIN);
    return stopping;
  });
  return { ...h, paused, refused };
}

const hourly = (catchUp: 'none' | 'latest' | 'all'): StageTiming => ({ schedule: '0 * * * *', catchUp, maxCatchUp: 2 });

describe('a paused stage', () => {
  it.each([
    ['none', ['01:00 schedule succeeded', '05:00 schedule succeeded']],
    ['latest', ['01:00 schedule succeeded', '04:00 catchup succeeded', '05:00 schedule succeeded']],
    ['all', ['01:00 schedule succeeded', '03:00 catchup succeeded', '04:00 catchup succeeded', '05:00 schedule succeeded']],
  ] as const)('starts nothing while paused; on resume, catchUp %s decides which passed slots run', async (catchUp, expected) => {
    const { time, runs, paused, scheduler } = await withPauses('2026-11-20T00:30:00Z', hourly(catchUp));
    runs.behaviour = () => ({ durationMs: 5 * MIN, result: 'ok' });
    await time.advanceTo(at('2026-11-20T01:30:00Z'));
    paused.add('eit/run');
    await time.advanceTo(at('2026-11-20T04:30:00Z'));
    expect(scheduler.snapshot()[0]).toMatchObject({ paused: true, queued: 0 });
    // Nothing ran, nothing was recorded: the slots that passed are left to the resume.
    expect(runs.rows.map((r) => r.slot.toISOString().slice(11, 16))).toEqual(['01:00']);
    paused.delete('eit/run');
    await time.advanceTo(at('2026-11-20T05:30:00Z'));
    expect(runs.table().map((r) => r.replace(/^eit\/run 2026-11-20T(\d\d:\d\d):00\.000Z/, '$1'))).toEqual(expected);
    expect(scheduler.snapshot()[0]!.paused).toBe(false);
  });

  it('is held at once when a run finds its stage paused (another host paused it), without a retry or a recorded slot', async () => {
    // The scheduler's own look at the pauses comes only once a day here.
    const { time, runs, paused, refused, lines, scheduler } = await withPauses(
      '2026-11-20T00:30:00Z',
      { ...hourly('latest'), retries: 3 },
      24 * 60 * MIN,
    );
    paused.add('eit/run');
    await time.advanceTo(at('2026-11-20T03:30:00Z'));
    // The 01:00 slot found it paused; 02:00 and 03:00 were not even tried.
    expect(refused).toEqual(['01:00']);
    expect(runs.rows).toEqual([]);
    expect(scheduler.snapshot()[0]!.paused).toBe(true);
    expect(lines.filter((l) => l.msg === 'stage paused: its slots wait for the resume')).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'retrying slot')).toBe(false);
  });
});
