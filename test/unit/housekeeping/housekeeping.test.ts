import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/database.js';
import { Housekeeping } from '../../../src/housekeeping/housekeeping.js';
import { PRUNE_KINDS, type PruneDeps, type PruneReport } from '../../../src/housekeeping/prune.js';
import { quietLogger } from '../../../harness/stage-context.js';
import { FakeTime } from '../scheduling/fake-time.js';
import { testConfig } from '../scheduling/test-config.js';

const empty = (): PruneReport => ({
  dryRun: false,
  kinds: Object.fromEntries(PRUNE_KINDS.map((k) => [k, { rows: {}, files: { files: 0, bytes: 0 } }])) as PruneReport['kinds'],
});

function setup(retention: Record<string, unknown>, fails = false) {
  const time = new FakeTime(new Date('2026-12-05T04:00:00Z'));
  const calls: { at: string; deps: PruneDeps; dryRun: boolean }[] = [];
  const config = testConfig({}, { retention });
  const housekeeping = new Housekeeping({
    db: {} as Db,
    config,
    logger: quietLogger,
    clock: time.clock,
    sleep: time.sleep,
    prune: async (deps, options) => {
      calls.push({ at: time.clock.now().toISOString(), deps, dryRun: options.dryRun });
      if (fails) throw new Error('permission denied');
      return empty();
    },
  });
  return { time, calls, housekeeping };
}

let running: Housekeeping | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe('the housekeeping slot', () => {
  it('prunes at each slot of retention.schedule, by default daily at 12:30 UTC, and never in between', async () => {
    const { time, calls, housekeeping } = setup({});
    running = housekeeping;
    housekeeping.start();
    await time.advanceTo(new Date('2026-12-05T12:29:59Z'));
    expect(calls).toEqual([]);
    await time.advanceTo(new Date('2026-12-07T13:00:00Z'));
    expect(calls.map((c) => c.at)).toEqual(['2026-12-05T12:30:00.000Z', '2026-12-06T12:30:00.000Z', '2026-12-07T12:30:00.000Z']);
    expect(calls.every((c) => !c.dryRun)).toBe(true);
  });

  it('follows a reloaded schedule at once, in its time zone', async () => {
    const { time, calls, housekeeping } = setup({ schedule: '0 3 * * *', timezone: 'Europe/Paris' });
    running = housekeeping;
    housekeeping.start();
    await time.advanceTo(new Date('2026-12-05T10:00:00Z'));
    expect(calls.map((c) => c.at)).toEqual([]); // 03:00 Paris was 02:00Z, before the start
    housekeeping.reload(testConfig({}, { retention: { schedule: '15 11 * * *' } }));
    await time.advanceTo(new Date('2026-12-05T12:00:00Z'));
    expect(calls.map((c) => c.at)).toEqual(['2026-12-05T11:15:00.000Z']);
  });

  it('reports a failed prune and tries again at the next slot', async () => {
    const { time, calls, housekeeping } = setup({ schedule: '0 * * * *' }, true);
    running = housekeeping;
    const failures: string[] = [];
    housekeeping.events.on('failed', (e) => failures.push(`${e.error.code}: ${e.error.message}`));
    housekeeping.start();
    await time.advanceTo(new Date('2026-12-05T06:30:00Z'));
    expect(calls).toHaveLength(2);
    expect(failures).toEqual(['PRUNE_FAILED: housekeeping: permission denied', 'PRUNE_FAILED: housekeeping: permission denied']);
  });

  it('stops while waiting for its slot, and hands a stop to the prune under way', async () => {
    const { time, calls, housekeeping } = setup({ schedule: '0 5 * * *' });
    housekeeping.start();
    await time.advanceTo(new Date('2026-12-05T05:00:00Z'));
    expect(calls).toHaveLength(1);
    const signal = calls[0]!.deps.signal!;
    expect(signal.aborted).toBe(false);
    await housekeeping.stop();
    expect(signal.aborted).toBe(true);
    await time.advance(2 * 86_400_000);
    expect(calls).toHaveLength(1);
  });
});
