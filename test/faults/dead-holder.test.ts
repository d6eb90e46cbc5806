// What the night needs from the run history after a kill -9: a restarted daemon takes
// over at once the runs its dead predecessor left "running" on this host, instead of
// waiting out their 60 s lease (which stalled every stage a kill had interrupted).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginRun, finishRun } from '../../src/runs/runs.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const base = { pipeline: 'p', stage: 'upload', trigger: 'schedule', leaseMs: 60_000 } as const;

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('beginRun after the holder of a run died', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('deadholder');
  });
  afterAll(async () => t?.drop());

  it('takes over at once from a dead process of this host, not from a live one or another host', async () => {
    const first = await beginRun(t.db, { ...base, slot: new Date('2026-11-24T02:00:00Z'), host: 'tycho' });
    expect(first.kind).toBe('started');
    // Alive (this very process): busy, whoever asks.
    expect((await beginRun(t.db, { ...base, slot: new Date('2026-11-24T02:00:02Z'), host: 'tycho' })).kind).toBe('busy');

    await t.db.none('UPDATE runs SET pid = $2 WHERE id = $1', [first.run.id, deadPid()]);
    // Another host cannot see that process: it waits for the lease.
    expect((await beginRun(t.db, { ...base, slot: new Date('2026-11-24T02:00:04Z'), host: 'helio' })).kind).toBe('busy');

    const next = await beginRun(t.db, { ...base, slot: new Date('2026-11-24T02:00:06Z'), host: 'tycho' });
    expect(next.kind).toBe('started');
    const dead = await t.db.one<{ state: string; error: string }>('SELECT state, error FROM runs WHERE id = $1', [first.run.id]);
    expect(dead.state).toBe('interrupted');
    expect(dead.error).toMatch(/^holder \(pid \d+ on tycho\) is gone$/);
    await finishRun(t.db, next.run.id, { state: 'succeeded', stats: {} });

    // The interrupted slot itself is taken over as its next attempt.
    const again = await beginRun(t.db, { ...base, slot: new Date('2026-11-24T02:00:00Z'), host: 'tycho' });
    expect(again).toMatchObject({ kind: 'started', run: { id: first.run.id, attempt: 2 } });
  });
});
