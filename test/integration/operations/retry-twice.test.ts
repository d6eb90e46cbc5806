// Two retries of the same items at once (two operators, or a command run twice): each
// item is put back in line once, and the record says what was really put back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { applyRetry } from '../../../src/operations/retry-apply.js';
import { findRetryCandidates, type RetrySelection } from '../../../src/operations/retry-select.js';

describe('two retries of the same observations at once', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('retry_twice');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('records one retry of both, and the other nothing', async () => {
    await t.db.none(
      `INSERT INTO observations (pipeline, input, obs, night, state, failures, last_error)
       VALUES ('sdoss', '/d/2026-11-20/hmi_080045.obs', 'hmi_080045', '2026-11-20', 'failed', 1, 'exit 3'),
              ('sdoss', '/d/2026-11-21/hmi_080045.obs', 'hmi_080045', '2026-11-21', 'failed', 1, 'exit 3')`,
    );
    const sel: RetrySelection = { pipeline: 'sdoss', stages: ['run'], obs: 'hmi_080045' };
    // Both list the items before either puts them back, as two commands started together do.
    const [a, b] = await Promise.all([0, 1].map(() => findRetryCandidates(t.db, sel, { quarantineDir: '/nonexistent' })));
    expect(a).toHaveLength(2);
    const applied = await Promise.all([applyRetry(t.db, sel, a!, 'ann@hal'), applyRetry(t.db, sel, b!, 'bob@hal')]);

    expect(applied.map((r) => r.retried.length).sort()).toEqual([0, 2]);
    const actions = await t.db.any<{ id: string; items: unknown }>(`SELECT id, details -> 'items' AS items FROM operator_actions`);
    expect(actions).toEqual([{ id: expect.any(String) as unknown, items: { run: 2 } }]);
    expect(applied.find((r) => r.retried.length === 0)!.actionId).toBeNull();
    const rows = await t.db.one<{ n: number; action: string }>(
      `SELECT count(*)::int AS n, min(action_id)::text AS action FROM retried_items`,
    );
    expect(rows).toEqual({ n: 2, action: actions[0]!.id });
  });

  it('with --night, retries the observation of that night only', async () => {
    await t.db.none(`UPDATE observations SET state = 'failed'`);
    const sel: RetrySelection = { pipeline: 'sdoss', stages: ['run'], obs: 'hmi_080045', night: '2026-11-21' };
    const found = await findRetryCandidates(t.db, sel, { quarantineDir: '/nonexistent' });
    expect(found.map((c) => c.item)).toEqual(['/d/2026-11-21/hmi_080045.obs']);
  });
});
