import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../helpers/db.js';
import { DaemonProcess, freePort, ingestPipeline, nocturne, writeDaemonConfig } from './daemon-process.js';

/** Polls `check` every 200 ms until it returns a value, for at most `ms`. */
async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('nocturne daemon, as a real process (needs npm run build)', () => {
  let t: TestDb;
  let dir: string;
  let base: string;
  let daemon: DaemonProcess;
  const pipelineFile = () => path.join(dir, 'pipelines/eit.yaml');
  const runCount = async () => Number((await t.db.one<{ n: string }>('SELECT count(*) AS n FROM runs')).n);

  beforeAll(async () => {
    t = await createTestDb('daemon');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-daemon-'));
    await mkdir(path.join(dir, 'csv'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port,
      pipelines: { eit: ingestPipeline('eit', '*/2 * * * * *', path.join(dir, 'csv')) },
    });
    daemon = new DaemonProcess(dir);
    await daemon.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
  });

  afterAll(async () => {
    daemon.kill('SIGKILL');
    await daemon.exited;
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers /healthz, /readyz, /metrics and the JSON API, and records scheduled runs', async () => {
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const runs = await eventually('a recorded run', 10_000, async () => {
      const list = (await (await fetch(`${base}/api/runs?pipeline=eit&limit=5`)).json()) as { state: string; trigger: string }[];
      return list.find((r) => r.state !== 'running') ? list : undefined;
    });
    expect(runs[0]).toMatchObject({ pipeline: 'eit', stage: 'ingest', trigger: 'schedule', host: 'bench-host' });
    const status = (await (await fetch(`${base}/api/pipelines`)).json()) as { state: string; stages: { pipeline: string; next: string }[] };
    expect(status.state).toBe('running');
    expect(status.stages.map((s) => `${s.pipeline}/${s.next ? 'scheduled' : '-'}`)).toEqual(['eit/scheduled']);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^nocturne_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    expect(metrics).toMatch(/^nocturne_stage_runs_total\{pipeline="eit",stage="ingest",result="\w+"\} \d+$/m);
    expect(metrics).toMatch(/^nocturne_stage_last_run_timestamp_seconds\{pipeline="eit",stage="ingest"\} \d+/m);
    expect(metrics).toContain('nocturne_state_db_up 1');
  });

  it('status and logs show the runs from the command line', async () => {
    const status = await nocturne(['status', '--config', dir]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^eit\/ingest\s+yes\s+\d{4}-\d\d-\d\d \d\d:\d\dZ/m);
    const [last] = await t.db.any<{ id: string }>("SELECT id FROM runs WHERE state <> 'running' ORDER BY id LIMIT 1");
    const logs = await nocturne(['logs', last!.id, '--config', dir]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain(`run:      ${last!.id}: eit/ingest`);
    expect(logs.stdout).toContain('no job logs: the ingest stage runs no jobs');
  });

  it('SIGHUP with a broken pipeline file keeps the old configuration and logs every problem', async () => {
    await writeFile(pipelineFile(), ingestPipeline('eit', '0 25 * * *', path.join(dir, 'csv')));
    daemon.kill('SIGHUP');
    const refused = await daemon.waitFor((l) => l.msg.startsWith('reload refused'), 10_000, 'refused reload');
    expect(JSON.stringify(refused['issues'])).toContain('eit.yaml');
    const before = await runCount();
    await eventually('more runs on the old schedule', 10_000, async () => ((await runCount()) > before + 1 ? true : undefined));
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('nocturne reload waits for the outcome: 78 with the errors, then 0 once fixed', async () => {
    const refused = await nocturne(['reload', '--config', dir]);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain('reload refused');
    expect(refused.stderr).toContain('eit.yaml');
    await writeFile(pipelineFile(), ingestPipeline('eit', '*/2 * * * * *', path.join(dir, 'csv')));
    await writeFile(path.join(dir, 'pipelines/sdoss.yaml'), ingestPipeline('sdoss', '0 3 * * *', path.join(dir, 'csv')));
    const applied = await nocturne(['reload', '--config', dir]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('configuration reloaded: added sdoss/ingest\n');
    const status = (await (await fetch(`${base}/api/pipelines`)).json()) as { stages: { pipeline: string }[] };
    expect(status.stages.map((s) => s.pipeline)).toEqual(['eit', 'sdoss']);
  });

  it('SIGTERM: exits 0 within the bound, logging shutdown complete, leaving no run behind', async () => {
    const grace = 2_000;
    const sent = Date.now();
    daemon.kill('SIGTERM');
    const { code } = await daemon.exited;
    const tookMs = Date.now() - sent;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(grace + 10_000);
    expect(daemon.lines.at(-1)).toMatchObject({ msg: 'shutdown complete', stagesLeftRunning: 0, failedSteps: 0 });
    expect(await t.db.any("SELECT id FROM runs WHERE state = 'running'")).toEqual([]);
  });
});

describe('nocturne daemon with an invalid configuration', () => {
  it('exits 78 listing every problem, before touching the database', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-daemon-bad-'));
    try {
      await writeDaemonConfig(dir, {
        pgUrl: 'postgres://nobody@127.0.0.1:1/none',
        schema: 'unused',
        port: await freePort(),
        pipelines: {
          eit: ingestPipeline('eit', '0 25 * * *', dir),
          sdoss: ingestPipeline('sdoss', '0 3 * * *', dir, 'bogus: 1'),
        },
      });
      const daemon = new DaemonProcess(dir);
      const { code } = await daemon.exited;
      expect(code).toBe(78);
      const stderr = daemon.stderr.join('\n');
      expect(stderr).toContain('eit.yaml');
      expect(stderr).toContain('sdoss.yaml');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
