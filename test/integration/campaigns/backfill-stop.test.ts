/**
 * A campaign's driver stopped from outside on the rig's real SLURM: cancelled while
 * observations wait for a slot (nothing is submitted after the cancel, nothing stays in
 * SLURM), frozen until another driver took it over (it records nothing more), and a
 * campaign failed by a new code version (cancel ends what it left in SLURM).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignWorld, type CampaignWorld } from '../../../harness/campaign-world.js';
import { endedInAccounting } from '../../../harness/run-harness.js';

async function until(what: string, check: () => Promise<boolean>, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Its output and exit code, once it has exited. */
function ended(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

// Their own names at each run: SLURM's accounting of earlier runs holds jobs of the same ledger names.
const tag = randomBytes(3).toString('hex');
const [CANCEL, FROZEN, VERSION] = ['bsc', 'bsf', 'bsv'].map((p) => `${p}-${tag}`) as [string, string, string];

describe('a campaign driver stopped from outside', () => {
  let w: CampaignWorld;
  beforeAll(async () => {
    w = await createCampaignWorld('bfstop', { pipelines: [CANCEL, FROZEN, VERSION] });
  });
  afterAll(async () => w?.close());

  const count = async (sql: string, ledger: string) => (await w.t.db.one<{ n: number }>(sql, [ledger])).n;
  const live = (ledger: string) =>
    count(`SELECT count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state IN ('pending', 'running')`, ledger);
  const running = (ledger: string) => count(`SELECT count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state = 'running'`, ledger);
  const id = (stdout: string) => /campaign (\d+) recorded/.exec(stdout)![1]!;

  it('submits nothing after a cancel, and leaves nothing in SLURM', async () => {
    await w.writeNights(CANCEL, '2026-09-01', '2026-09-03', 2, { sleep: 10 });
    const created = await w.cli(['backfill', CANCEL, '--from', '2026-09-01', '--to', '2026-09-03', '--detach']);
    const n = id(created.stdout);
    const ledger = `${CANCEL}.c${n}`;
    // Two running, four waiting for a slot: the driver asks to submit them at each poll.
    await w.t.db.none('UPDATE campaigns SET batch_nights = 3, max_running = 2 WHERE id = $1', [n]);
    const driver = w.spawn(['backfill', 'resume', n]);
    const exited = ended(driver);
    await until('two tasks running', async () => (await running(ledger)) === 2);

    const cancelled = await w.cli(['backfill', 'cancel', n]);
    expect(cancelled.stdout).toContain(`campaign ${n} cancelled: 2 task(s) cancelled in SLURM`);
    const { code, out } = await exited;
    expect(code).toBe(0);
    expect(out).toContain(`campaign ${n} cancelled`);
    expect(out).toContain('0 completed, 0 failed');
    expect(out).not.toContain('"level":50');

    // Every job it submitted was cancelled in SLURM; none ran after the cancel.
    expect(await w.jobNames(ledger)).toHaveLength(1);
    expect((await endedInAccounting(await w.jobNames(ledger))).every((l) => l.split('|')[1]!.startsWith('CANCELLED'))).toBe(true);
    expect(await live(ledger)).toBe(0);
    const tasks = await w.t.db.any<{ state: string; reason: string }>('SELECT state, reason FROM job_tasks WHERE pipeline = $1', [ledger]);
    expect(tasks).toEqual([
      { state: 'interrupted', reason: 'campaign cancelled' },
      { state: 'interrupted', reason: 'campaign cancelled' },
    ]);
    expect(await count(`SELECT count(*)::int AS n FROM jobs WHERE pipeline = $1 AND state <> 'finished'`, ledger)).toBe(0);
    // Asked again, cancel ends whatever of its ledger may still be live.
    expect((await w.cli(['backfill', 'cancel', n])).stdout).toContain(`campaign ${n} cancelled: 0 task(s) cancelled in SLURM`);
  }, 90_000);

  it('stops a driver that another took over while it was frozen, recording nothing more', async () => {
    const total = await w.writeNights(FROZEN, '2026-09-01', '2026-09-03', 2, { sleep: 4 });
    const created = await w.cli(['backfill', FROZEN, '--from', '2026-09-01', '--to', '2026-09-03', '--detach']);
    const n = id(created.stdout);
    const ledger = `${FROZEN}.c${n}`;
    await w.t.db.none('UPDATE campaigns SET batch_nights = 1, max_running = 2 WHERE id = $1', [n]);
    const a = w.spawn(['backfill', 'resume', n]);
    const aEnded = ended(a);
    await until('two tasks running', async () => (await running(ledger)) === 2);
    a.kill('SIGSTOP');
    // Frozen for longer than a driver may be silent (30 s), without the wait.
    await w.t.db.none(`UPDATE campaigns SET heartbeat_at = now() - interval '1 minute' WHERE id = $1`, [n]);
    const b = w.spawn(['backfill', 'resume', n]);
    const bEnded = ended(b);
    await until(
      'the first batch recorded done by the new driver',
      async () =>
        (await w.t.db.one<{ n: string }>(`SELECT to_char(next_night, 'YYYY-MM-DD') AS n FROM campaigns WHERE id = $1`, [n])).n >
        '2026-09-01',
    );
    a.kill('SIGCONT');

    const first = await aEnded;
    expect(first.code).not.toBe(0);
    expect(first.out).toContain(`campaign ${n}: another driver took it over`);
    const second = await bEnded;
    expect(second.out).toContain(`campaign ${n} done: this process submitted`);
    expect(second.code).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM observations WHERE pipeline = $1 AND state = 'done'`, ledger)).toBe(total);
    const c = await w.t.db.one<{ state: string; next: string }>(
      `SELECT state, to_char(next_night, 'YYYY-MM-DD') AS next FROM campaigns WHERE id = $1`,
      [n],
    );
    expect(c).toEqual({ state: 'done', next: '2026-09-04' });
  }, 120_000);

  it('cancels a campaign failed by a new code version, ending what it left in SLURM', async () => {
    await w.writeNights(VERSION, '2026-09-01', '2026-09-01', 2, { sleep: 30 });
    const created = await w.cli(['backfill', VERSION, '--from', '2026-09-01', '--to', '2026-09-01', '--detach']);
    const n = id(created.stdout);
    const ledger = `${VERSION}.c${n}`;
    const driver = w.spawn(['backfill', 'resume', n]);
    const exited = ended(driver);
    await until('two tasks running', async () => (await running(ledger)) === 2);
    expect((await w.cli(['backfill', 'pause', n])).code).toBe(0);
    expect((await exited).code).toBe(0);

    const file = path.join(w.dir, 'pipelines', `${VERSION}.yaml`);
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('1.0.6', '1.0.7'));
    const resumed = await w.cli(['backfill', 'resume', n]);
    expect(resumed.stderr).toContain('cancel it and start a new campaign for the new version');
    expect(await live(ledger)).toBe(2);

    const cancelled = await w.cli(['backfill', 'cancel', n]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`campaign ${n} cancelled: 2 task(s) cancelled in SLURM`);
    expect(await live(ledger)).toBe(0);
    expect((await endedInAccounting(await w.jobNames(ledger))).every((l) => l.split('|')[1]!.startsWith('CANCELLED'))).toBe(true);
    expect((await w.cli(['backfill', 'status', n])).stdout).toContain(' 0 in SLURM');
  }, 90_000);
});
