// After a kill -9 a restarted daemon takes over at once the runs its dead predecessor
// left "running", instead of waiting out their 60 s lease (which stalled every stage a
// kill had interrupted). Only when it can be sure the holder is gone: same pid namespace.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidNamespace } from '../../../src/runs/holder.js';
import { beginRun, finishRun } from '../../../src/runs/runs.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

const base = { pipeline: 'p', stage: 'upload', trigger: 'schedule', leaseMs: 60_000 } as const;
const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 2, 0, s));

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('beginRun after the holder of a run died', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('takeover');
  });
  afterAll(async () => t?.drop());

  const holderOf = (id: number) => t.db.one<{ state: string; error: string | null }>('SELECT state, error FROM runs WHERE id = $1', [id]);

  it('records its pid namespace with each run', async () => {
    expect(pidNamespace()).toMatch(/^[0-9a-f-]{36}\/pid:\[\d+\]$/);
    const run = await beginRun(t.db, { ...base, pipeline: 'ns', slot: at(0) });
    expect(run).toMatchObject({ kind: 'started', run: { holder: pidNamespace(), pid: process.pid } });
    await finishRun(t.db, run.run.id, { state: 'succeeded', stats: {} });
  });

  it("names its namespace under systemd's ProcSubset=pid too, which hides the boot id: the same for two processes of one boot", () => {
    // What the unit's ProcSubset=pid gives the daemon: /proc with the pid directories alone.
    const holder = path.resolve(import.meta.dirname, '../../../src/runs/holder.ts');
    const read = () =>
      execFileSync('unshare', [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t proc -o subset=pid proc /proc && exec "${process.execPath}" --import tsx --input-type=module -e "console.log((await import('${holder}')).pidNamespace())"`,
      ])
        .toString()
        .trim();
    const first = read();
    // The machine's id in it: every host's first pid namespace has the same inode.
    const machine = readFileSync('/etc/machine-id', 'utf8').trim();
    expect(first).toMatch(new RegExp(`^${machine}-booted-\\d+/pid:\\[\\d+\\]$`));
    expect(read()).toBe(first);
  });

  it('takes over at once from a dead process of its namespace, never from a live one', async () => {
    const first = await beginRun(t.db, { ...base, slot: at(0), host: 'tycho' });
    expect(first.kind).toBe('started');
    // Alive (this very process, which holds it): busy.
    expect((await beginRun(t.db, { ...base, slot: at(2), host: 'tycho' })).kind).toBe('busy');

    await t.db.none('UPDATE runs SET pid = $2 WHERE id = $1', [first.run.id, deadPid()]);
    // Whatever the host name: the namespace is what tells.
    const next = await beginRun(t.db, { ...base, slot: at(6), host: 'helio' });
    expect(next.kind).toBe('started');
    expect(await holderOf(first.run.id)).toMatchObject({
      state: 'interrupted',
      error: expect.stringMatching(/^holder \(pid \d+ on tycho\) is gone$/),
    });
    await finishRun(t.db, next.run.id, { state: 'succeeded', stats: {} });

    // The interrupted slot itself is taken over as its next attempt.
    const again = await beginRun(t.db, { ...base, slot: at(0), host: 'tycho' });
    expect(again).toMatchObject({ kind: 'started', run: { id: first.run.id, attempt: 2 } });
    await finishRun(t.db, again.run.id, { state: 'succeeded', stats: {} });
  });

  it('waits for the lease when the holder ran in another namespace, or in an unknown one', async () => {
    for (const [pipeline, holder] of [
      ['elsewhere', '00000000-0000-0000-0000-000000000000/pid:[1]'],
      ['unknown', null],
    ] as const) {
      const first = await beginRun(t.db, { ...base, pipeline, slot: at(0) });
      await t.db.none('UPDATE runs SET pid = $2, holder = $3 WHERE id = $1', [first.run.id, deadPid(), holder]);
      expect((await beginRun(t.db, { ...base, pipeline, slot: at(2) })).kind).toBe('busy');
      expect((await holderOf(first.run.id)).state).toBe('running');
    }
  });

  it('takes over a run left with its own pid by a predecessor (a container restarted as pid 1)', async () => {
    await t.db.none(
      `INSERT INTO runs (pipeline, stage, slot, trigger, host, pid, holder, lease_until)
       VALUES ('pid1', 'upload', $1, 'schedule', 'box', $2, $3, now() + interval '1 minute')`,
      [at(0), process.pid, pidNamespace()],
    );
    const next = await beginRun(t.db, { ...base, pipeline: 'pid1', slot: at(2) });
    expect(next.kind).toBe('started');
    await finishRun(t.db, next.run.id, { state: 'succeeded', stats: {} });
  });
});
