import { afterEach, describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { harness } from './harness.js';
import { testConfig, type StageTiming } from './test-config.js';

const MIN = 60_000;
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const at = (text: string) => new Date(text);

let stopAll: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(stopAll.map((stop) => stop()));
  stopAll = [];
});

/** A started scheduler with one pipeline "eit" whose stages have the given timing. */
async function started(start: string, stages: Parameters<typeof testConfig>[0][string], daemon = {}) {
  const h = harness(start);
  const config = testConfig({ eit: stages }, daemon);
  await h.scheduler.start(config);
  stopAll.push(async () => {
    const stopping = h.scheduler.stop(MIN, MIN);
    await h.time.advance(3 * MIN);
    return stopping;
  });
  return { ...h, config };
}

const slotsOf = (calls: { stage: string; slot: Date }[], stage: string) => iso(calls.filter((c) => c.stage === stage).map((c) => c.slot));

describe('a night of slots in Europe/Paris', () => {
  const paris = { timezone: 'Europe/Paris' };
  const stages = { run: { schedule: '30 2 * * *', ...paris }, upload: { schedule: '*/30 2 * * *', ...paris } };

  it('spring forward: the fixed-time job runs once just after the gap, the interval job not at all', async () => {
    const { time, runs, sleeps } = await started('2026-03-28T20:00:00Z', stages);
    await time.advanceTo(at('2026-03-29T06:00:00Z'));
    expect(slotsOf(runs.calls, 'run')).toEqual(['2026-03-29T01:00:00.000Z']);
    expect(slotsOf(runs.calls, 'upload')).toEqual([]);
    expect(runs.calls.every((c) => c.at.getTime() === c.slot.getTime())).toBe(true);
    expect(sleeps.longestMs).toBe(30_000);
  });

  it('fall back: the fixed-time job runs once at the first 02:30, the interval job in both 02:00 hours', async () => {
    const { time, runs, sleeps } = await started('2026-10-24T20:00:00Z', stages);
    await time.advanceTo(at('2026-10-25T06:00:00Z'));
    expect(slotsOf(runs.calls, 'run')).toEqual(['2026-10-25T00:30:00.000Z']);
    expect(slotsOf(runs.calls, 'upload')).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    expect(runs.calls.every((c) => c.at.getTime() === c.slot.getTime())).toBe(true);
    expect(sleeps.longestMs).toBe(30_000);
  });
});

describe('only the stages this host runs', () => {
  it('schedules nothing for stages outside host.stages', async () => {
    const hourly = { schedule: '0 * * * *' };
    const { time, runs, scheduler } = await started(
      '2026-11-20T00:30:00Z',
      { run: hourly, ingest: hourly },
      { host: { stages: ['ingest'] } },
    );
    await time.advanceTo(at('2026-11-20T02:30:00Z'));
    expect(scheduler.snapshot().map((s) => s.stage)).toEqual(['ingest']);
    expect(new Set(runs.calls.map((c) => c.stage))).toEqual(new Set(['ingest']));
  });
});

describe('overrun', () => {
  const hourly = (overrun: 'wait' | 'skip'): StageTiming => ({ schedule: '0 * * * *', overrun });

  it('wait: a slot that comes during a run starts when that run ends', async () => {
    const { time, runs, lines } = await started('2026-11-20T00:30:00Z', { run: hourly('wait') });
    runs.behaviour = () => ({ durationMs: 80 * MIN, result: 'ok' });
    await time.advanceTo(at('2026-11-20T04:50:00Z'));
    expect(runs.calls.map((c) => [c.slot.toISOString().slice(11, 16), c.at.toISOString().slice(11, 16)])).toEqual([
      ['01:00', '01:00'],
      ['02:00', '02:20'],
      ['03:00', '03:40'],
    ]);
    expect(lines.filter((l) => l.msg === 'slot waits for the overrunning run')).toHaveLength(3);
  });

  it('skip: a slot that comes during a run is recorded as skipped, with the reason', async () => {
    const { time, runs, lines } = await started('2026-11-20T00:30:00Z', { run: hourly('skip') });
    runs.behaviour = () => ({ durationMs: 80 * MIN, result: 'ok' });
    await time.advanceTo(at('2026-11-20T04:50:00Z'));
    expect(runs.table()).toEqual([
      'eit/run 2026-11-20T01:00:00.000Z schedule succeeded',
      'eit/run 2026-11-20T02:00:00.000Z schedule skipped',
      'eit/run 2026-11-20T03:00:00.000Z schedule succeeded',
      'eit/run 2026-11-20T04:00:00.000Z schedule skipped',
    ]);
    expect(runs.rows[1]!.error).toBe('overrun: the run of slot 2026-11-20T01:00:00.000Z is still in progress');
    expect(lines.filter((l) => l.msg === 'slot skipped')).toHaveLength(2);
  });

  it('a run held by another process: wait polls until it ends, skip records the slot as skipped', async () => {
    for (const overrun of ['wait', 'skip'] as const) {
      const h = harness('2026-11-20T00:30:00Z');
      h.runs.seed({ pipeline: 'eit', stage: 'run', slot: at('2026-11-20T00:10:00Z'), trigger: 'manual', state: 'running' });
      await h.scheduler.start(testConfig({ eit: { run: hourly(overrun) } }));
      await h.time.advanceTo(at('2026-11-20T01:10:00Z'));
      h.runs.rows[0]!.state = 'succeeded';
      await h.time.advanceTo(at('2026-11-20T01:50:00Z'));
      const states = h.runs.table();
      expect(states[1]).toBe(`eit/run 2026-11-20T01:00:00.000Z schedule ${overrun === 'wait' ? 'succeeded' : 'skipped'}`);
      // Tried at 01:00, then every 30 s until the other run ended at 01:10: said once at info.
      const busy = h.lines.filter((l) => l.msg === 'stage busy: slot waits');
      expect(busy.filter((l) => l.level === 30)).toHaveLength(overrun === 'wait' ? 1 : 0);
      expect(busy.length).toBe(overrun === 'wait' ? 21 : 0);
      const stopping = h.scheduler.stop(MIN, MIN);
      await h.time.advance(MIN);
      expect(await stopping).toBe(0);
    }
  });
});

describe('catch-up at start', () => {
  const nightly = (catchUp: 'none' | 'latest' | 'all'): StageTiming => ({ schedule: '0 2 * * *', catchUp, maxCatchUp: 3 });

  async function caughtUp(catchUp: 'none' | 'latest' | 'all', state: 'succeeded' | 'interrupted' = 'succeeded', day = '2026-11-15') {
    const h = harness('2026-11-20T12:00:00Z');
    h.runs.seed({ pipeline: 'eit', stage: 'run', slot: at(`${day}T02:00:00Z`), state });
    await h.scheduler.start(testConfig({ eit: { run: nightly(catchUp) } }));
    await h.time.advance(30 * MIN);
    const stopping = h.scheduler.stop(MIN, MIN);
    await h.time.advance(MIN);
    await stopping;
    return h.runs.calls.map((c) => `${c.slot.toISOString().slice(0, 10)} ${c.trigger}`);
  }

  it('none runs nothing, latest the newest missed slot, all every missed slot up to maxCatchUp, in order', async () => {
    expect(await caughtUp('none')).toEqual([]);
    expect(await caughtUp('latest')).toEqual(['2026-11-20 catchup']);
    expect(await caughtUp('all')).toEqual(['2026-11-18 catchup', '2026-11-19 catchup', '2026-11-20 catchup']);
  });

  it('does not hold the later slots back while a caught-up slot waits on its run by another host', async () => {
    // Another host runs the 00:00:00 slot when this one starts; it ends a second later.
    const h = harness('2026-11-20T00:00:05Z');
    h.runs.seed({ pipeline: 'eit', stage: 'run', slot: at('2026-11-20T00:00:00Z'), state: 'running' });
    h.runs.behaviour = () => ({ durationMs: 1_000, result: 'ok' });
    await h.scheduler.start(testConfig({ eit: { run: { schedule: '*/10 * * * * *', catchUp: 'latest' } } }));
    await h.time.advanceTo(at('2026-11-20T00:00:06Z'));
    h.runs.rows[0]!.state = 'succeeded';
    await h.time.advanceTo(at('2026-11-20T00:00:35Z'));
    const stopping = h.scheduler.stop(MIN, MIN);
    await h.time.advance(MIN);
    await stopping;
    // Each later slot at its own time, not after the caught-up slot's next poll (30 s),
    // which then finds that slot done elsewhere.
    expect(h.runs.calls.map((c) => [c.slot.toISOString().slice(11, 19), c.at.toISOString().slice(11, 19)])).toEqual([
      ['00:00:00', '00:00:05'],
      ['00:00:10', '00:00:10'],
      ['00:00:20', '00:00:20'],
      ['00:00:30', '00:00:30'],
      ['00:00:00', '00:00:35'],
    ]);
    expect(h.runs.table()).toHaveLength(4);
  });

  it('resumes a slot that a crash left interrupted, before the missed ones', async () => {
    expect(await caughtUp('all', 'interrupted', '2026-11-19')).toEqual(['2026-11-19 catchup', '2026-11-20 catchup']);
    expect(await caughtUp('latest', 'interrupted', '2026-11-19')).toEqual(['2026-11-20 catchup']);
    expect(await caughtUp('latest', 'interrupted', '2026-11-20')).toEqual(['2026-11-20 catchup']);
  });
});

describe('retries of retryable failures', () => {
  const stage = (retries: number): StageTiming => ({ schedule: '0 2 * * *', retries });

  it('runs the same slot again as its next attempt, after a backoff', async () => {
    const { time, runs, scheduler } = await started('2026-11-20T01:00:00Z', { upload: stage(3) });
    const delays: number[] = [];
    scheduler.events.on('retry', (r) => delays.push(r.delayMs));
    runs.behaviour = (_req, attempt) => ({ durationMs: MIN, result: attempt < 3 ? 'retryable' : 'ok' });
    await time.advanceTo(at('2026-11-20T03:00:00Z'));
    expect(runs.table()).toEqual(['eit/upload 2026-11-20T02:00:00.000Z schedule succeeded #3']);
    expect(delays).toEqual([22_500, 45_000]);
    expect(runs.calls.map((c) => c.at.toISOString().slice(11, 19))).toEqual(['02:00:00', '02:01:22', '02:03:07']);
  });

  it('still retries when the run history was out of reach as the failed run was reopened', async () => {
    const { time, runs, scheduler } = await started('2026-11-20T01:00:00Z', { upload: stage(3) });
    const warned: string[] = [];
    scheduler.events.on('retry', (r) => warned.push(`retry ${r.attempt} after ${r.delayMs} ms`));
    runs.behaviour = (_req, attempt) => ({ durationMs: MIN, result: attempt < 2 ? 'retryable' : 'ok' });
    const reopen = runs.reopenForRetry.bind(runs);
    let lost = 1;
    runs.reopenForRetry = async (runId) => {
      if (lost-- > 0) {
        throw new NocturneError('DB_FAILED', 'run history: reopening run 1: database unavailable: Connection terminated', {
          retryable: true,
        });
      }
      return reopen(runId);
    };
    await time.advanceTo(at('2026-11-20T03:00:00Z'));
    expect(runs.table()).toEqual(['eit/upload 2026-11-20T02:00:00.000Z schedule succeeded #2']);
    expect(warned).toEqual(['retry 1 after 22500 ms']);
  });

  it('gives up after `retries`, and never retries a permanent failure', async () => {
    const { time, runs } = await started('2026-11-20T01:00:00Z', { upload: stage(1), ingest: stage(5) });
    runs.behaviour = (req) => ({ durationMs: MIN, result: req.stage === 'upload' ? 'retryable' : 'permanent' });
    await time.advanceTo(at('2026-11-20T03:00:00Z'));
    expect(runs.table()).toEqual([
      'eit/ingest 2026-11-20T02:00:00.000Z schedule failed',
      'eit/upload 2026-11-20T02:00:00.000Z schedule failed #2',
    ]);
  });
});

describe('an execution that throws before its run is recorded', () => {
  it('is retried when the cause may pass (database down), not when it will not (configuration)', async () => {
    for (const [error, calls] of [
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 2],
      [new NocturneError('CONFIG_INVALID', 'no pipeline named "eit"'), 1],
    ] as const) {
      const { time, runs, scheduler } = await started('2026-11-20T01:59:00Z', { run: { schedule: '0 2 * * *', retries: 1 } });
      let first = true;
      const execute = runs.execute;
      runs.execute = async (...args) => {
        if (!first) return execute(...args);
        first = false;
        runs.calls.push({ ...args[1], at: time.clock.now() });
        throw error;
      };
      const errored: string[] = [];
      scheduler.events.on('errored', (e) => errored.push(e.error.message));
      await time.advanceTo(at('2026-11-20T02:10:00Z'));
      expect(runs.calls).toHaveLength(calls);
      expect(errored).toEqual([error instanceof NocturneError ? error.message : `eit/run slot 2026-11-20T02:00:00.000Z: ${error.message}`]);
      expect(runs.table()).toEqual(calls === 2 ? ['eit/run 2026-11-20T02:00:00.000Z schedule succeeded'] : []);
    }
  });
});

describe('clock jumps', () => {
  const hourly = (catchUp: 'latest' | 'all'): StageTiming => ({ schedule: '0 * * * *', catchUp, maxCatchUp: 2 });

  it('a clock set back does not run a slot twice', async () => {
    const { time, runs } = await started('2026-11-20T00:30:00Z', { run: hourly('latest') });
    await time.advanceTo(at('2026-11-20T03:30:00Z'));
    time.jump(-60 * MIN);
    await time.advanceTo(at('2026-11-20T04:30:00Z'));
    expect(slotsOf(runs.calls, 'run').map((s) => s.slice(11, 16))).toEqual(['01:00', '02:00', '03:00', '04:00']);
  });

  it('a clock set forward treats the slots jumped over as missed, per catch-up policy', async () => {
    for (const [policy, expected] of [
      ['latest', ['08:00 schedule']],
      ['all', ['06:00 catchup', '07:00 catchup', '08:00 schedule']],
    ] as const) {
      const { time, runs, scheduler } = await started('2026-11-20T03:30:00Z', { run: hourly(policy) });
      const missed: string[][] = [];
      scheduler.events.on('missed', (m) => missed.push(iso(m.slots).map((s) => s.slice(11, 16))));
      time.jump(5 * 60 * MIN);
      await time.advance(10 * MIN);
      expect(runs.calls.map((c) => `${c.slot.toISOString().slice(11, 16)} ${c.trigger}`)).toEqual(expected);
      expect(missed).toEqual([policy === 'latest' ? ['04:00', '05:00', '06:00', '07:00'] : ['04:00', '05:00']]);
    }
  });
});

describe('stop', () => {
  it('lets a stage finish within the grace period, and aborts it after', async () => {
    for (const [durationMs, state] of [
      [30_000, 'succeeded'],
      [10 * MIN, 'interrupted'],
    ] as const) {
      const h = harness('2026-11-20T01:59:00Z');
      h.runs.behaviour = () => ({ durationMs, result: 'ok' });
      await h.scheduler.start(testConfig({ eit: { run: { schedule: '0 2 * * *' } } }));
      await h.time.advance(MIN + 1000);
      const stopping = h.scheduler.stop(MIN, 10_000);
      await h.time.advance(2 * MIN);
      expect(await stopping).toBe(0);
      expect(h.runs.table()).toEqual([`eit/run 2026-11-20T02:00:00.000Z schedule ${state}`]);
      expect(h.lines.some((l) => l.msg === 'grace period over: aborting running stages')).toBe(state === 'interrupted');
      await h.time.advance(2 * 60 * MIN);
      expect(h.runs.calls).toHaveLength(1);
    }
  });
});

describe('reload', () => {
  it('adds, removes and reschedules stages; a running stage finishes first', async () => {
    const { time, runs, scheduler } = await started('2026-11-20T00:30:00Z', { run: { schedule: '0 * * * *' } });
    runs.behaviour = () => ({ durationMs: 20 * MIN, result: 'ok' });
    await time.advanceTo(at('2026-11-20T01:05:00Z'));
    const summary = scheduler.reload(
      testConfig({ eit: { upload: { schedule: '15 * * * *' } }, sdoss: { run: { schedule: '30 * * * *' } } }),
    );
    expect(summary).toEqual({ added: ['eit/upload', 'sdoss/run'], removed: ['eit/run'], changed: [] });
    expect(scheduler.snapshot().map((s) => `${s.pipeline}/${s.stage}`)).toEqual(['eit/run', 'eit/upload', 'sdoss/run']);
    await time.advanceTo(at('2026-11-20T02:00:00Z'));
    expect(runs.table()).toEqual([
      'eit/run 2026-11-20T01:00:00.000Z schedule succeeded',
      'eit/upload 2026-11-20T01:15:00.000Z schedule succeeded',
      'sdoss/run 2026-11-20T01:30:00.000Z schedule succeeded',
    ]);
    expect(scheduler.snapshot().map((s) => `${s.pipeline}/${s.stage}`)).toEqual(['eit/upload', 'sdoss/run']);
    expect(scheduler.reload(testConfig({ eit: { upload: { schedule: '45 * * * *' } } }))).toEqual({
      added: [],
      removed: ['sdoss/run'],
      changed: ['eit/upload'],
    });
    expect(scheduler.snapshot()[0]!.next?.toISOString()).toBe('2026-11-20T02:45:00.000Z');
  });
});
