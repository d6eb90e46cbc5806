/**
 * A campaign submits nothing while a nightly run's tasks are in SLURM or its slot is near,
 * and what its own gate allows otherwise (the job ledgers on the rig's PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YieldToNightlyGate } from '../../../src/campaigns/yield-gate.js';
import { systemClock } from '../../../src/core/clock.js';
import { Schedule } from '../../../src/scheduling/slots.js';
import { JobLedger } from '../../../src/stages/run/job-ledger.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

describe('YieldToNightlyGate', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('yield');
  });
  afterAll(async () => t?.drop());

  async function liveTask(ledgerName: string, token: string): Promise<void> {
    const ledger = new JobLedger(t.db, ledgerName);
    const input = `/obs/${token}.obs`;
    await ledger.register([{ input, obs: token, night: '2026-11-20' }]);
    await ledger.createJob({
      token,
      name: `noc-${ledgerName}-${token}`,
      pipeline: ledgerName,
      runId: null,
      executor: 'slurm',
      isArray: true,
      jobDir: `/work/${token}`,
      scriptPath: `/work/${token}/job.sh`,
      argv: ['sbatch'],
      codeVersion: '1',
      tasks: [{ index: 0, input, obs: token, night: '2026-11-20', attempt: 1, logPath: `/logs/${token}.log` }],
    });
  }

  it("admits nothing while a pipeline has a task in SLURM, and ignores campaigns' own tasks", async () => {
    const inner = { admit: async (want: number) => want, close: async () => undefined };
    const gate = new YieldToNightlyGate(t.db, inner, { schedules: [], clock: systemClock, beforeMs: 0 });
    expect(await gate.admit(5)).toBe(5);
    await liveTask('sdoss.c1', 'aaaa000001');
    expect(await gate.admit(5)).toBe(5);
    await liveTask('sdoss', 'bbbb000002');
    expect(await gate.admit(5)).toBe(0);
    await t.db.none(`UPDATE jobs SET state = 'finished' WHERE pipeline = 'sdoss'`);
    expect(await gate.admit(5)).toBe(5);
  });

  it("admits nothing in the last beforeMs before a pipeline's run slot, so that the campaign's tasks end first", async () => {
    const inner = { admit: async (want: number) => want, close: async () => undefined };
    let now = new Date('2026-11-20T01:59:50Z');
    const gate = new YieldToNightlyGate(t.db, inner, {
      schedules: [new Schedule('0 2 * * *', 'UTC'), new Schedule('0 12 * * *', 'UTC')],
      clock: { now: () => now },
      beforeMs: 5_000,
    });
    await t.db.none(`UPDATE jobs SET state = 'finished'`);
    expect(await gate.admit(5)).toBe(5);
    now = new Date('2026-11-20T01:59:55Z');
    expect(await gate.admit(5)).toBe(0);
    now = new Date('2026-11-20T02:00:00Z');
    expect(await gate.admit(5)).toBe(5);
    now = new Date('2026-11-20T11:59:58Z');
    expect(await gate.admit(5)).toBe(0);
  });
});
