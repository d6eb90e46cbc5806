/**
 * The run stage's ledger (observations, jobs, tasks) losing its database connection in
 * the middle of a run: the run says it may be tried again, nothing is half recorded, and
 * the next run processes the observation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../../src/runs/runs.js';
import { executeStage } from '../../../src/stages/execute.js';
import { cutNextWrite } from '../../helpers/cut-connection.js';
import { createHarness, NIGHT, observationStates, tasksOf, type Harness } from '../../../harness/run-harness.js';

describe('run stage: the database connection lost while a job is recorded', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('db-lost', 'local');
  });
  afterAll(async () => h?.close());

  const run = () =>
    executeStage(
      { config: h.config, db: h.t.db, logger: h.logger },
      { pipeline: 'lost', stage: 'run', slot: new Date(), trigger: 'manual', date: NIGHT },
    );

  it('fails the run as retryable with the observation still pending, and the next run processes it', async () => {
    h.pipeline('lost');
    await h.writeObs('lost', NIGHT, 'only', { seed: 1 });
    // The job's tasks are written on a connection that dies.
    const { cut } = await cutNextWrite(h.t.db, 'job_tasks');
    const result = await run();
    await cut;
    expect(result).toMatchObject({
      kind: 'done',
      outcome: {
        ok: false,
        error: { code: 'DB_FAILED', retryable: true, message: expect.stringMatching(/^lost: recording job .*database unavailable/) },
      },
    });
    expect(await observationStates(h.t, 'lost')).toEqual({ only: 'pending' });
    expect(await tasksOf(h.t, 'lost')).toEqual([]);
    expect((await listRuns(h.t.db, { pipeline: 'lost', limit: 1 }))[0]).toMatchObject({ state: 'failed', error_code: 'DB_FAILED' });

    expect(await run()).toMatchObject({ kind: 'done', outcome: { ok: true } });
    expect(await observationStates(h.t, 'lost')).toEqual({ only: 'done' });
  });
});
