// `nocturne retry --stage run --now` on the rig's real SLURM, killed with SIGKILL at
// several instants: before it does anything, once the retry is recorded, between sbatch
// and the record of its job, while the job is followed, and with the job's outputs
// published but its end not recorded. After the next run (the retry asked again, as a
// person would, then `nocturne run` of the observation's night), the observation is done,
// its failed attempt and its retried one are its history, SLURM ran the retried attempt
// once, its outputs are in the outbox, its retry is on record once, and no run or job is
// left running.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { createHarness, slurm, tasksOf, type Harness } from '../../../harness/run-harness.js';
import { slurmEnv } from '../../../harness/rig.js';
import { hold, installGates, killWhen } from './kill.js';

const P = 'retrykill';

interface Instant {
  name: string;
  /** Closed before the retry starts: the child is killed while a commit waits at it, which then never happens. */
  gate?: string;
  reached?: (h: Harness, obs: string) => Promise<boolean>;
  /** What the kill must have left behind, so that each instant is the one named. */
  left?: { recorded?: boolean; job?: string; task?: string; published?: boolean };
}

const count = async (h: Harness, sql: string, params: unknown[] = []) => (await h.t.db.one<{ n: number }>(sql, params)).n;
const recorded = (h: Harness) => count(h, 'SELECT count(*)::int AS n FROM operator_actions');
/** The retried attempt's task and job, once submitted. */
const retried = (h: Harness, obs: string) =>
  h.t.db.oneOrNone<{ task: string; job: string; outputs: string[] | null }>(
    `SELECT t.state AS task, j.state AS job, t.outputs FROM job_tasks t JOIN jobs j ON j.id = t.job
      WHERE t.pipeline = $1 AND t.obs = $2 AND t.attempt = 2`,
    [P, obs],
  );
const INSTANTS: Instant[] = [
  { name: 'at once', reached: async () => true, left: { recorded: false } },
  { name: 'once the retry is recorded', reached: async (h) => (await recorded(h)) > 0, left: { recorded: true } },
  { name: 'between sbatch and the record of its job', gate: 'jobs:submitted', left: { recorded: true, job: 'submitting' } },
  {
    name: 'while its job is followed',
    reached: async (h, obs) => (await retried(h, obs))?.task === 'running',
    left: { job: 'submitted', task: 'running' },
  },
  {
    name: 'with its outputs published, its end not recorded',
    gate: 'job_tasks:completed',
    left: { job: 'submitted', task: 'running', published: true },
  },
];

const nightOf = (i: number) => `2026-11-${String(10 + i).padStart(2, '0')}`;

describe('nocturne retry --stage run --now killed with SIGKILL on SLURM (needs npm run build)', () => {
  let h: Harness;
  const cli = (...args: string[]) => nocturne([...args, '--config', h.dir]);
  const saved = process.env['SLURM_CONF'];
  beforeAll(async () => {
    // The command line reaches SLURM as the daemon does: through the environment.
    process.env['SLURM_CONF'] = slurmEnv()['SLURM_CONF'];
    h = await createHarness(P, 'slurm');
    await writeDaemonConfig(h.dir, {
      pgUrl: h.t.url,
      schema: h.t.schema,
      port: 1,
      pipelines: {
        [P]: stringify(h.written(P, { retries: 0, slurm: { time: '1', mem: '200M', cpus: 1 } })),
      },
      extra: { http: { enabled: false }, executor: { type: 'slurm', slurm: { pollInterval: '1s', lostAfter: '30s' } } },
    });
    // Each observation fails its first attempt (a transient failure, no retries left), each on a night of its own.
    for (const [i] of INSTANTS.entries()) {
      await h.writeObs(P, nightOf(i), `o${i}`, { seed: i + 1, features: 1, fail_attempts: 1, sleep: 2 });
      const first = await cli('run', P, '--stage', 'run', '--date', nightOf(i));
      expect(first.code, first.stderr).toBe(1);
    }
    expect(await count(h, `SELECT count(*)::int AS n FROM observations WHERE state = 'failed'`)).toBe(INSTANTS.length);
    await installGates(h.t.db, h.t.schema, ['jobs', 'job_tasks']);
  }, 180_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env['SLURM_CONF'];
    else process.env['SLURM_CONF'] = saved;
    await h?.close();
  });

  it.each(INSTANTS.map((instant, i) => [instant.name, i, instant] as const))(
    'killed %s: done once, both attempts in its history',
    async (_name, i, instant) => {
      await h.t.db.none('DELETE FROM operator_actions');
      const obs = `o${i}`;
      const gate = instant.gate === undefined ? undefined : await hold(h.t.db, h.t.schema, instant.gate);
      try {
        await killWhen(['retry', P, '--stage', 'run', '--obs', obs, '--now', '--config', h.dir], () =>
          gate ? gate.waited() : instant.reached!(h, obs),
        );
      } finally {
        await gate?.open('abort');
      }
      const left = instant.left ?? {};
      const attempt = await retried(h, obs);
      if (left.recorded !== undefined) expect((await recorded(h)) > 0).toBe(left.recorded);
      if (left.job !== undefined) expect(attempt?.job).toBe(left.job);
      if (left.task !== undefined) expect(attempt?.task).toBe(left.task);
      if (left.published !== undefined) expect((attempt?.outputs ?? []).length > 0).toBe(left.published);

      // The next run: the retry asked again, then the stage for the observation's night.
      const again = await cli('retry', P, '--stage', 'run', '--obs', obs);
      expect(again.code, again.stderr).toBe(0);
      const run = await cli('run', P, '--stage', 'run', '--date', nightOf(i));
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);

      const states = await h.t.db.map(
        `SELECT state FROM observations WHERE pipeline = $1 AND obs = $2`,
        [P, obs],
        (r: { state: string }) => r.state,
      );
      expect(states).toEqual(['done']);
      const tasks = (await tasksOf(h.t, P)).filter((t) => t.obs === obs);
      expect(tasks.map((t) => [t.attempt, t.state])).toEqual([
        [1, 'failed'],
        [2, 'completed'],
      ]);
      // SLURM ran each attempt once: one job of each name, no second submission. squeue, not
      // sacct: the controller keeps ended jobs for an hour (MinJobAge), while the accounting
      // daemon may not have them yet.
      const names = await h.t.db.map(
        `SELECT DISTINCT j.name FROM jobs j JOIN job_tasks t ON t.job = j.id WHERE t.pipeline = $1 AND t.obs = $2`,
        [P, obs],
        (r: { name: string }) => r.name,
      );
      expect(names).toHaveLength(2);
      const known = await slurm('squeue', ['-h', '--states=all', `--name=${names.join(',')}`, '-o', '%j']);
      expect(known.trim().split('\n').sort()).toEqual([...names].sort());
      const outbox = await readdir(path.join(h.dir, 'state/outbox', P));
      expect(tasks[1]!.outputs?.length).toBeGreaterThan(0);
      for (const output of tasks[1]!.outputs!) expect(outbox).toContain(path.basename(output));
      expect(await count(h, `SELECT count(*)::int AS n FROM retried_items WHERE item LIKE '%/' || $1`, [`${obs}.obs`])).toBe(1);
      expect(await count(h, 'SELECT count(*)::int AS n FROM operator_actions')).toBe(1);
      expect(await count(h, `SELECT count(*)::int AS n FROM runs WHERE state = 'running'`)).toBe(0);
      expect(await count(h, `SELECT count(*)::int AS n FROM jobs WHERE state IN ('submitting', 'submitted')`)).toBe(0);
      // The other observations are untouched: still failed, waiting for their own retry.
      expect(await count(h, `SELECT count(*)::int AS n FROM observations WHERE state = 'failed'`)).toBe(INSTANTS.length - i - 1);
    },
    120_000,
  );
});
