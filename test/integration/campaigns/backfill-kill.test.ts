/**
 * A campaign's driver killed with -9 at several instants (tasks running in SLURM, a batch
 * just recorded done and the next being submitted, a moment after a restart), restarted
 * each time with `nocturne backfill resume`: in the end every observation was processed
 * once, none twice, none lost.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignWorld, type CampaignWorld } from '../../../harness/campaign-world.js';
import { slurm } from '../../../harness/run-harness.js';

async function until(what: string, check: () => Promise<boolean>, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// Its own name at each run: SLURM's accounting of earlier runs holds jobs of the same ledger name.
const P = `bk-${randomBytes(3).toString('hex')}`;

describe('a campaign under kill -9', () => {
  let w: CampaignWorld;
  beforeAll(async () => {
    w = await createCampaignWorld('bfkill', { pipelines: [P], extra: { campaigns: { maxRunning: 3, nice: 100, batchNights: 1 } } });
  });
  afterAll(async () => w?.close());

  it('neither doubles nor loses a task when its driver is killed and restarted', async () => {
    const count = await w.writeNights(P, '2026-09-01', '2026-09-04', 3, { sleep: 2 });
    const created = await w.cli(['backfill', P, '--from', '2026-09-01', '--to', '2026-09-04', '--detach']);
    expect(created.code).toBe(0);
    const ledger = `${P}.c1`;
    const one = async (sql: string) => (await w.t.db.one<{ n: number }>(sql, [ledger])).n;
    const running = () => one(`SELECT count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state = 'running'`);
    const nightsDone = () => one(`SELECT (next_night - night_from)::int AS n FROM campaigns WHERE id = 1`);

    // 1. Tasks running in SLURM.
    let driver = w.spawn(['backfill', 'resume', '1']);
    await until('a task running', async () => (await running()) > 0);
    await kill9(driver);

    // 2. Just after a batch was recorded done: the next one is being planned or submitted.
    driver = w.spawn(['backfill', 'resume', '1']);
    const before = await nightsDone();
    await until('a batch recorded done', async () => (await nightsDone()) > before);
    await kill9(driver);

    // 3. A moment after a restart: re-attaching, or submitting.
    driver = w.spawn(['backfill', 'resume', '1']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await kill9(driver);

    const last = await w.cli(['backfill', 'resume', '1']);
    expect(last.stdout).toContain('campaign 1 done');
    expect(last.code).toBe(0);

    expect(await one(`SELECT count(*)::int AS n FROM observations WHERE pipeline = $1 AND state = 'done'`)).toBe(count);
    // Each observation completed once; none ran twice to completion.
    const completed = await w.t.db.any<{ input: string; n: number }>(
      `SELECT input, count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state = 'completed' GROUP BY input`,
      [ledger],
    );
    expect(completed).toHaveLength(count);
    expect(completed.every((r) => r.n === 1)).toBe(true);
    // A kill between recording a job and its sbatch leaves a job that never reached SLURM:
    // after lostAfter its tasks are LOST, not held against their observations, and
    // submitted again under a new job (the designed path, live-jobs.ts). That is the only
    // loss allowed: none failed, and a job whose tasks were lost must be unknown to SLURM.
    const ended = await w.t.db.any<{ name: string; state: string; reason: string | null }>(
      `SELECT j.name, t.state, t.reason FROM job_tasks t JOIN jobs j ON j.id = t.job WHERE t.pipeline = $1 AND t.state IN ('lost', 'failed')`,
      [ledger],
    );
    expect(ended.filter((r) => r.state !== 'lost' || !/SLURM lists no job of its name/.test(r.reason ?? ''))).toEqual([]);
    const neverSubmitted = new Set(ended.map((r) => r.name));
    // SLURM ran each recorded job once, but those, and no job nocturne did not record.
    const names = await w.jobNames(ledger);
    // (slurmdbd records the last tasks of an array a few seconds late.)
    await until(
      "every recorded job but the never-submitted, and no other, in SLURM's accounting",
      async () => {
        const sacct = await slurm('sacct', ['-X', '-n', '-P', '--starttime=now-1hour', '-o', 'JobName,JobID']);
        const ours = new Set(
          sacct
            .trim()
            .split('\n')
            .filter((l) => l.startsWith(`noc-${ledger}-`))
            .map((l) => l.split('|')[0]!),
        );
        expect([...ours].filter((name) => !names.includes(name) || neverSubmitted.has(name))).toEqual([]);
        return names.every((name) => ours.has(name) !== neverSubmitted.has(name));
      },
      15_000,
    );
    expect((await readdir(w.outbox(P))).filter((f) => f.endsWith('_init.csv'))).toHaveLength(count);
  }, 120_000);
});
