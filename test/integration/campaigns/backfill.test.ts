/**
 * `nocturne backfill` on the rig's real SLURM and PostgreSQL: a campaign reprocesses
 * nights the nightly runs already did, as job arrays throttled and niced, in its own
 * ledger; status, pause, resume and cancel act on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { createCampaignWorld, type CampaignWorld } from '../../../harness/campaign-world.js';
import { DaemonProcess } from '../../../harness/daemon-process.js';
import { slurmEnv } from '../../../harness/rig.js';
import { endedInAccounting, eventually, slurm } from '../../../harness/run-harness.js';
import { CampaignStore } from '../../../src/campaigns/store.js';
import { createRouter } from '../../../src/http/router.js';
import { openApiProblems } from '../monitor/openapi-check.js';

describe('nocturne backfill on SLURM', () => {
  let w: CampaignWorld;
  beforeAll(async () => {
    w = await createCampaignWorld('backfill', { pipelines: ['bf', 'bfc', 'bfd'] });
  });
  afterAll(async () => w?.close());

  it('reprocesses a range of nights as job arrays below the nightly priority, each observation once', async () => {
    const count = await w.writeNights('bf', '2026-11-01', '2026-11-03', 3);
    // The nightly run did 2026-11-02 already: the campaign runs it again, in its own ledger.
    expect((await w.cli(['run', 'bf', '--stage', 'run', '--date', '2026-11-02'])).code).toBe(0);

    const created = await w.cli(['backfill', 'bf', '--from', '2026-11-01', '--to', '2026-11-03', '--stages', 'run', '--max-running', '3']);
    expect(created.stderr).not.toContain('"level":50');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('campaign 1 recorded: bf 2026-11-01..2026-11-03 (3 nights), code 1.0.6');
    expect(created.stdout).toContain('campaign 1 done: this process submitted 9 task(s), 9 completed, 0 failed');

    const ledger = await w.t.db.any<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM observations WHERE pipeline = 'bf.c1' GROUP BY state`,
    );
    expect(ledger).toEqual([{ state: 'done', n: count }]);
    const tasks = await w.t.db.one<{ n: number; inputs: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT input)::int AS inputs FROM job_tasks WHERE pipeline = 'bf.c1' AND state = 'completed'`,
    );
    expect(tasks).toEqual({ n: count, inputs: count });
    // Batches of 2 nights (campaigns.batchNights), as job arrays, niced below the nightly runs.
    const argv = await w.t.db.any<{ argv: string[] }>(`SELECT submit_argv AS argv FROM jobs WHERE pipeline = 'bf.c1' ORDER BY id`);
    // Never more than 3 tasks submitted at once: arrays of what the cap lets through, %3.
    const arrays = argv.map((r) => /^--array=0-(\d+)%3$/.exec(r.argv.find((a) => a.startsWith('--array=')) ?? '')?.[1]);
    expect(arrays.every((last) => last !== undefined && Number(last) < 3)).toBe(true);
    expect(arrays.reduce((sum, last) => sum + Number(last) + 1, 0)).toBe(count);
    expect(argv.every((r) => r.argv.includes('--nice=1000'))).toBe(true);
    const names = await w.jobNames('bf.c1');
    expect(names.every((n) => n.startsWith('noc-bf.c1-'))).toBe(true);
    // Every job reached SLURM once (slurmdbd records the last tasks of an array a few seconds late).
    await eventually(
      async () => {
        const sacct = await slurm('sacct', ['-X', '-n', '-P', `--name=${names.join(',')}`, '--starttime=now-1hour', '-o', 'JobName']);
        return new Set(sacct.trim().split('\n')).size === names.length;
      },
      "every job of the campaign in SLURM's accounting",
      15_000,
    );
    // The nightly ledger is untouched: the night it did stays its own.
    expect((await w.t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM observations WHERE pipeline = 'bf'`)).n).toBe(3);
    // Outputs reach the pipeline's outbox, for upload and ingest: the same code and version
    // write the same names, so the campaign's night replaces the nightly copy not yet uploaded.
    expect((await readdir(w.outbox('bf'))).filter((f) => f.endsWith('_init.csv'))).toHaveLength(count);

    const status = await w.cli(['backfill', 'status']);
    expect(status.stdout).toContain('campaign 1 bf 2026-11-01..2026-11-03 [run] done: 3/3 nights, 9 done, 0 failed');
    const json = JSON.parse((await w.cli(['backfill', 'status', '1', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(json[0]).toMatchObject({ id: 1, state: 'done', nightsDone: 3, observations: { done: 9 } });
  }, 90_000);

  it('pauses, resumes and cancels a campaign, and refuses what its state does not allow', async () => {
    await w.writeNights('bfc', '2026-10-01', '2026-10-02', 2, { sleep: 30 });
    const created = await w.cli(['backfill', 'bfc', '--from', '2026-10-01', '--to', '2026-10-02', '--detach']);
    expect(created.stdout).toMatch(/campaign (\d+) recorded/);
    const id = /campaign (\d+) recorded/.exec(created.stdout)![1]!;

    expect((await w.cli(['backfill', 'pause', id])).stdout).toContain(`campaign ${id} paused`);
    const again = await w.cli(['backfill', 'pause', id]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`campaign ${id} is paused: it cannot become paused`);
    expect((await w.cli(['backfill', 'status', id])).stdout).toContain(' paused: 0/2 nights');

    // Resumed in a process of its own; cancelled while its tasks sleep in SLURM.
    const driver = w.spawn(['backfill', 'resume', id]);
    const ledger = `bfc.c${id}`;
    for (let i = 0; i < 150; i++) {
      const r = await w.t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state = 'running'`, [
        ledger,
      ]);
      if (r.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const cancelled = await w.cli(['backfill', 'cancel', id]);
    expect(cancelled.stdout).toMatch(new RegExp(`campaign ${id} cancelled: [1-4] task\\(s\\) cancelled in SLURM`));
    let said = '';
    driver.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    driver.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    const code = await new Promise<number | null>((resolve) => driver.on('exit', resolve));
    expect(said).toContain(`campaign ${id} cancelled`);
    expect(code).toBe(0);
    const names = await w.jobNames(ledger);
    expect((await endedInAccounting(names)).every((l) => l.split('|')[1]!.startsWith('CANCELLED'))).toBe(true);
    expect(
      (
        await w.t.db.one<{ n: number }>(
          `SELECT count(*)::int AS n FROM job_tasks WHERE pipeline = $1 AND state IN ('pending', 'running')`,
          [ledger],
        )
      ).n,
    ).toBe(0);
    const resume = await w.cli(['backfill', 'resume', id]);
    expect(resume.stderr).toContain(`campaign ${id} is cancelled: it cannot become running`);
  }, 90_000);

  it('shows campaigns in status and at /api/campaigns, as the OpenAPI description says', async () => {
    const created = await w.cli(['backfill', 'bfc', '--from', '2026-08-01', '--to', '2026-08-31', '--detach', '--max-running', '2']);
    const id = Number(/campaign (\d+) recorded/.exec(created.stdout)![1]);
    const status = await w.cli(['status']);
    expect(status.stdout).toContain(`campaign ${id} bfc 2026-08-01..2026-08-31 [run] running: 0/31 nights`);
    expect(status.stdout).toContain('no driver: `nocturne backfill resume` or the daemon takes it');

    const store = new CampaignStore(w.t.db);
    const route = createRouter({
      readiness: async () => ({ ready: true }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      pipelines: async () => ({}),
      runs: async () => [],
      reload: async () => ({ ok: true, added: [], removed: [], changed: [], restartNeeded: [] }),
      campaigns: (query) => store.views(query),
    });
    for (const url of ['/api/campaigns', '/api/campaigns?open=1']) {
      const res = await route({ method: 'GET', url, headers: { host: '127.0.0.1:9464' } });
      const body = JSON.parse(String(res.body)) as Array<{ id: number; state: string }>;
      expect(openApiProblems('get', url, res.status, body)).toEqual([]);
      expect(body[0]).toMatchObject({ id, state: 'running', nights: 31, maxRunning: 2 });
      if (url.endsWith('open=1')) expect(body.every((c) => c.state === 'running' || c.state === 'paused')).toBe(true);
      else expect(body.map((c) => c.state)).toContain('cancelled');
    }
    await w.cli(['backfill', 'cancel', String(id)]);
  }, 90_000);

  it('is taken and driven to its end by the daemon when no process drives it', async () => {
    const count = await w.writeNights('bfd', '2026-07-01', '2026-07-02', 2);
    const created = await w.cli(['backfill', 'bfd', '--from', '2026-07-01', '--to', '2026-07-02', '--detach']);
    const id = Number(/campaign (\d+) recorded/.exec(created.stdout)![1]);
    const daemon = new DaemonProcess(w.dir, [], slurmEnv());
    try {
      const ended = await daemon.waitFor((l) => l.msg === 'campaign driver ended', 60_000, 'the campaign driven by the daemon');
      expect(ended).toMatchObject({ campaign: id, state: 'done', completed: count });
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  }, 90_000);
});
