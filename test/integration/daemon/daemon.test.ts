import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { DaemonProcess, eventually, freePort, ingestPipeline, nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';

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

  it('logs prints the end of each job log of a run stage, or the saved tail when the file is gone', async () => {
    const log = path.join(dir, 'task-0.log');
    await writeFile(log, Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const { id } = await t.db.one<{ id: string }>(
      `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, finished_at)
       VALUES ('eit', 'run', now(), 'manual', 'failed', 'tycho', 1, now(), now()) RETURNING id`,
    );
    await t.db.none(
      `INSERT INTO observations (pipeline, input, obs, night, state) VALUES ('eit', '/d/a.fits', 'a', '2026-11-20', 'failed');
       WITH j AS (INSERT INTO jobs (token, name, pipeline, run_id, executor, is_array, scheduler_id, state, job_dir, script_path, submit_argv)
                  VALUES ('tok', 'noc-eit-tok', 'eit', $1, 'slurm', true, '4242', 'finished', '/w', '/w/job.sh', '[]') RETURNING id)
       INSERT INTO job_tasks (job, task_index, pipeline, input, obs, attempt, state, exit_code, reason, log_path, log_tail)
       SELECT id, t.i, 'eit', '/d/a.fits', 'a', 1, 'failed', 3, 'exit code 3', t.path, 'saved tail' FROM j,
              (VALUES (0, $2), (1, '/nonexistent/task-1.log')) AS t(i, path)`,
      [id, log],
    );
    const { code, stdout } = await nocturne(['logs', id, '--lines', '3', '--config', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('== noc-eit-tok (slurm job 4242) task 0, observation a: failed, exit 3, exit code 3');
    expect(stdout).toContain(`-- ${log} (last 3 lines)\nline 98\nline 99\nline 100\n`);
    expect(stdout).toContain(
      '-- /nonexistent/task-1.log: not readable here (ENOENT)\n-- last lines saved when the task ended:\nsaved tail',
    );
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
    await writeFile(path.join(dir, 'pipelines/sdoss.yaml'), ingestPipeline('sdoss', '0 3 * * *', path.join(dir, 'csv-sdoss')));
    const applied = await nocturne(['reload', '--config', dir]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('configuration reloaded: added sdoss/ingest\n');
    expect(applied.stderr).toMatch(/eit\.yaml:\d+:\d+: warning: ingest\.schedule: "\*\/2 \* \* \* \* \*" fires 30 times a minute/);
    const status = (await (await fetch(`${base}/api/pipelines`)).json()) as { stages: { pipeline: string }[] };
    expect(status.stages.map((s) => s.pipeline)).toEqual(['eit', 'sdoss']);
  });

  it('nocturne reload says what the daemon answered when it is no reload outcome: a token it does not take', async () => {
    const tokenFile = path.join(dir, 'state', 'http.token');
    const token = await readFile(tokenFile, 'utf8');
    try {
      await writeFile(tokenFile, 'not-the-daemons-token\n');
      const refused = await nocturne(['reload', '--config', dir]);
      expect(refused.code).toBe(69);
      expect(refused.stderr).toMatch(/did not take the reload: POST \/api\/reload needs authentication/);
    } finally {
      await writeFile(tokenFile, token);
    }
  });

  it('a second daemon on the same configuration fails on the taken port and leaves the running one whole', async () => {
    const hostBefore = await t.db.one<{ pid: number }>('SELECT pid FROM hosts');
    const second = new DaemonProcess(dir);
    expect((await second.exited).code).toBe(1);
    // Its host row and its reload token are still those of the running daemon.
    expect(await t.db.one('SELECT pid, stopped_at FROM hosts')).toEqual({ pid: hostBefore.pid, stopped_at: null });
    const reload = await nocturne(['reload', '--config', dir]);
    expect(reload.code, reload.stderr).toBe(0);
  });

  it('refuses to start, exit 78 naming paths.state, when it cannot write its state directory', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'nocturne-daemon-state-'));
    try {
      await writeDaemonConfig(other, {
        pgUrl: t.url,
        schema: t.schema,
        port: await freePort(),
        pipelines: {},
        extra: { paths: { state: path.join(other, 'file') } },
      });
      await writeFile(path.join(other, 'file'), 'not a directory\n');
      const refused = new DaemonProcess(other);
      expect((await refused.exited).code).toBe(78);
      expect(refused.lines.find((l) => l.level === 60)?.msg).toMatch(
        /^start failed: paths\.state \S+\/file: the daemon cannot create or write it \(EEXIST/,
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
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
