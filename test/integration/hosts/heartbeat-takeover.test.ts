// A run held by a daemon of another machine (or container): our pid namespace cannot say
// whether it lives, so its host's heartbeat does. The daemon stopped, or silent for more
// than GONE_AFTER_PERIODS heartbeat periods: its run is taken over at once, without
// waiting out the lease. A run of another process of that host (a manual `nocturne run`)
// is left to its lease, as is one whose daemon still beats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginRun, finishRun } from '../../../src/runs/runs.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

const FAR = 'ffffffff-0000-4000-8000-000000000000/pid:[4026531836]';
const base = { stage: 'upload', trigger: 'schedule', leaseMs: 60_000 } as const;
const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 2, 0, s));

describe('takeover of a run held on another host, by its heartbeat', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('hbtakeover');
  });
  afterAll(async () => t?.drop());

  /** A run of `pipeline` held by pid 4242 of host "far" (another namespace), and far's daemon row. */
  async function farRun(pipeline: string, daemon: { pid: number; silentS: number; stopped?: boolean }): Promise<number> {
    await t.db.none(
      `INSERT INTO hosts (name, version, stages, pid, holder, heartbeat_ms, heartbeat_at, stopped_at)
       VALUES ('far', '1', '{upload}', $1, $2, 1000, now() - $3 * interval '1 second', CASE WHEN $4 THEN now() END)
       ON CONFLICT (name) DO UPDATE SET pid = EXCLUDED.pid, heartbeat_at = EXCLUDED.heartbeat_at, stopped_at = EXCLUDED.stopped_at`,
      [daemon.pid, FAR, daemon.silentS, daemon.stopped ?? false],
    );
    const row = await t.db.one<{ id: string }>(
      `INSERT INTO runs (pipeline, stage, slot, trigger, host, pid, holder, lease_until)
       VALUES ($1, 'upload', $2, 'schedule', 'far', 4242, $3, now() + interval '1 minute') RETURNING id`,
      [pipeline, at(0), FAR],
    );
    return Number(row.id);
  }
  const stateOf = (id: number) => t.db.one<{ state: string; error: string | null }>('SELECT state, error FROM runs WHERE id = $1', [id]);

  it('takes over from a daemon whose heartbeat is older than a few periods', async () => {
    const id = await farRun('silent', { pid: 4242, silentS: 10 });
    const next = await beginRun(t.db, { ...base, pipeline: 'silent', slot: at(5) });
    expect(next.kind).toBe('started');
    expect(await stateOf(id)).toEqual({
      state: 'interrupted',
      error: expect.stringMatching(/^holder \(pid 4242 on far\) is gone: its daemon's heartbeat is \d+s old$/),
    });
    if (next.kind === 'started') await finishRun(t.db, next.run.id, { state: 'succeeded', stats: {} });
  });

  it('takes over from a daemon that stopped', async () => {
    const id = await farRun('stopped', { pid: 4242, silentS: 0, stopped: true });
    expect((await beginRun(t.db, { ...base, pipeline: 'stopped', slot: at(5) })).kind).toBe('started');
    expect((await stateOf(id)).error).toMatch(/^holder \(pid 4242 on far\) is gone: its daemon stopped at /);
  });

  it('leaves the run to its lease while the daemon beats, or when another process of that host holds it', async () => {
    const beating = await farRun('beating', { pid: 4242, silentS: 1 });
    expect((await beginRun(t.db, { ...base, pipeline: 'beating', slot: at(5) })).kind).toBe('busy');
    expect((await stateOf(beating)).state).toBe('running');
    // far's daemon is pid 7 and long silent, but the run is pid 4242's: not the daemon's.
    const manual = await farRun('manual', { pid: 7, silentS: 3600 });
    expect((await beginRun(t.db, { ...base, pipeline: 'manual', slot: at(5) })).kind).toBe('busy');
    expect((await stateOf(manual)).state).toBe('running');
  });
});
