// Two retries of the same items at once (two operators, or a command run twice): each
// item is put back in line once, and the record says what was really put back.
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { applyRetry } from '../../../src/operations/retry-apply.js';
import { findRetryCandidates, type RetrySelection } from '../../../src/operations/retry-select.js';

describe('two retries of the same items at once', () => {
  let t: TestDb;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDb('retry_twice');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-retry-twice-'));
  });
  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
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

  it('records a quarantined quicklook retried once, and moves it back once', async () => {
    const quarantined = path.join(dir, 'quarantine', 'a.jpg');
    const outbox = path.join(dir, 'outbox', 'a.jpg');
    await mkdir(path.dirname(quarantined), { recursive: true });
    // Replaced since it was quarantined (another size): ready to go back.
    await writeFile(quarantined, 'corrected');
    await t.db.none(
      `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, state, quarantine_path)
       VALUES ('eit', 'archive', 'thumbnail', $1, 1, 0, '/r/a.jpg', 'quarantined', $2)`,
      [outbox, quarantined],
    );
    const sel: RetrySelection = { pipeline: 'eit', stages: ['upload'] };
    const [a, b] = await Promise.all([0, 1].map(() => findRetryCandidates(t.db, sel, { quarantineDir: path.join(dir, 'quarantine') })));
    expect(a!.map((c) => c.blocked)).toEqual([undefined]);
    const applied = await Promise.all([applyRetry(t.db, sel, a!, 'ann@hal'), applyRetry(t.db, sel, b!, 'bob@hal')]);

    expect(applied.map((r) => r.retried.length).sort()).toEqual([0, 1]);
    expect(applied.flatMap((r) => r.unmoved)).toEqual([]);
    const actions = await t.db.any(`SELECT details -> 'items' AS items FROM operator_actions WHERE pipeline = 'eit'`);
    expect(actions).toEqual([{ items: { upload: 1 } }]);
    expect((await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM transfer_events`)).n).toBe(1);
    await access(outbox);
  });
});
