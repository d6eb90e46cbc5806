import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../src/core/abort.js';
import { systemClock } from '../../../src/core/clock.js';
import { closeDb, openDb, type Db } from '../../../src/db/database.js';
import { createLogger } from '../../../src/log/logger.js';
import { beginRun, finishRun } from '../../../src/runs/runs.js';
import type { ExecuteFn } from '../../../src/scheduling/scheduler.js';
import { Scheduler } from '../../../src/scheduling/scheduler.js';
import { createPgSlotLedger } from '../../../src/scheduling/slot-ledger.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { testConfig } from '../../unit/scheduling/test-config.js';

/**
 * executeStage's bookkeeping with the real runs.ts on the real database, around a
 * stage that only takes `workMs`: what is under test is who gets to run a slot.
 */
function recordedExecute(db: Db, host: string, workMs: (pipeline: string) => number): ExecuteFn {
  return async (_config, req, signal) => {
    const begun = await beginRun(db, { ...req, leaseMs: 60_000, host });
    if (begun.kind !== 'started') return { kind: 'not-run', reason: begun.kind };
    await sleep(workMs(req.pipeline), signal);
    await finishRun(db, begun.run.id, { state: 'succeeded', stats: {} });
    return { kind: 'done', runId: begun.run.id, outcome: { ok: true, stats: {}, summary: 'ok' } };
  };
}

interface Row {
  pipeline: string;
  slot: Date;
  state: string;
  host: string;
  started_at: Date;
  finished_at: Date | null;
}

describe('two schedulers on one database', () => {
  let t: TestDb;
  let second: Db;
  beforeAll(async () => {
    t = await createTestDb('schedulers');
    second = openDb({ url: t.url, schema: t.schema, poolSize: 4, applicationName: 'nocturne-test-second-host' });
  });
  afterAll(async () => {
    await closeDb(second);
    await t.drop();
  });

  it('never double a run, and share out overrunning slots without overlap', async () => {
    // Every second: "fast" takes 0.2 s; "slow" takes 1.5 s, so its slots overrun (skip).
    const config = testConfig({
      fast: { run: { schedule: '* * * * * *' } },
      slow: { upload: { schedule: '* * * * * *', overrun: 'skip' } },
    });
    const work = (pipeline: string) => (pipeline === 'slow' ? 1500 : 200);
    const logger = createLogger({ level: 'silent', destination: { write: () => undefined } });
    const schedulers = [
      [t.db, 'host-a'],
      [second, 'host-b'],
    ].map(
      ([db, host]) =>
        new Scheduler({
          clock: systemClock,
          sleep,
          ledger: createPgSlotLedger(db as Db),
          execute: recordedExecute(db as Db, host as string, work),
          logger,
          // A slot turned away as busy (the other host's run of the slot before still
          // running, after a stall) looks again soon, not 30 s later, after this test.
          busyPollMs: 100,
        }),
    );
    const started: string[] = [];
    const refused: string[] = [];
    // The hosts that went for each fast slot.
    const firedBy = new Map<string, Set<number>>();
    const errored: string[] = [];
    // What each scheduler did and when (ms since the start), for the message of a failure.
    const t0 = Date.now();
    const timeline: string[] = [];
    schedulers.forEach((s, i) => {
      const at = (what: string, e: { pipeline: string; slot: Date }) =>
        timeline.push(`+${Date.now() - t0} ${i === 0 ? 'a' : 'b'} ${what} ${e.pipeline} ${e.slot.toISOString().slice(11, 19)}`);
      s.events.on('started', (e) => {
        at('fires', e);
        const key = `${e.pipeline} ${e.slot.toISOString()}`;
        firedBy.set(key, (firedBy.get(key) ?? new Set()).add(i));
      });
      s.events.on('missed', (e) => timeline.push(`+${Date.now() - t0} ${i === 0 ? 'a' : 'b'} missed ${e.pipeline} ${e.slots.length}`));
      s.events.on('errored', (e) => errored.push(`${e.pipeline} ${e.slot.toISOString()}: ${e.error.message}`));
      s.events.on('finished', (e) => {
        at(e.result.kind, e);
        (e.result.kind === 'done' ? started : refused).push(`${e.pipeline} ${e.slot.toISOString()}`);
      });
    });
    await Promise.all(schedulers.map((s) => s.start(config)));
    await sleep(5_500);
    expect(await Promise.all(schedulers.map((s) => s.stop(5_000, 1_000)))).toEqual([0, 0]);

    const rows = await t.db.any<Row>('SELECT pipeline, slot, state, host, started_at, finished_at FROM runs ORDER BY pipeline, slot');
    const fast = rows.filter((r) => r.pipeline === 'fast');
    const slow = rows.filter((r) => r.pipeline === 'slow');
    // Each of the ~5 slots ran exactly once, on one host or the other.
    expect(fast.length).toBeGreaterThanOrEqual(4);
    expect(fast.every((r) => r.state === 'succeeded')).toBe(true);
    expect(new Set(started).size).toBe(started.length);
    expect(started.length).toBe(rows.filter((r) => r.state === 'succeeded').length);
    // The slow stage ran some slots and skipped those that came while it ran; never two at once.
    expect(slow.filter((r) => r.state === 'succeeded').length).toBeGreaterThanOrEqual(2);
    expect(slow.filter((r) => r.state === 'skipped').length).toBeGreaterThanOrEqual(1);
    const ran = slow.filter((r) => r.state === 'succeeded');
    for (let i = 1; i < ran.length; i++) {
      expect(ran[i]!.started_at.getTime()).toBeGreaterThanOrEqual(ran[i - 1]!.finished_at!.getTime());
    }
    // Both schedulers went for fast slots, and the database let one run each and turned
    // the other away (no slot ran twice: above). A stall of a loaded machine may keep one
    // host from a slot (missed, or still running the one before), so only some are sure
    // to be contended.
    const seen = `started ${started.join(', ')}; refused ${refused.join(', ')}; errored ${errored.join(', ') || 'none'}\n${timeline.join('\n')}`;
    const contended = [...firedBy]
      .filter(([key, hosts]) => key.startsWith('fast') && hosts.size === 2 && started.includes(key) && refused.includes(key))
      .map(([key]) => key);
    expect(contended.length, seen).toBeGreaterThanOrEqual(2);
  });
});
