// Pause, resume, hosts and the status warnings, against a real daemon process that
// runs the ingest stage every 2 seconds and beats every second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../src/core/abort.js';
import { DaemonProcess, eventually } from '../../../harness/daemon-process.js';
import { opsWorld, type OpsWorld } from './world.js';

describe('nocturne pause / resume / hosts with a running daemon (needs npm run build)', () => {
  let w: OpsWorld;
  let daemon: DaemonProcess | undefined;
  beforeAll(async () => {
    w = await opsWorld('pausehosts', { schedule: '*/2 * * * * *', host: { name: 'ops-host', heartbeat: '1s' } });
  });
  afterAll(async () => {
    daemon?.kill('SIGKILL');
    await daemon?.exited;
    await w?.close();
  });

  const scheduledSince = async (since: Date) =>
    (await w.t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM runs WHERE trigger <> 'manual' AND started_at > $1`, [since])).n;

  it('status warns of a stage no live daemon schedules; hosts lists none yet', async () => {
    const status = await w.cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      'warning: no live daemon schedules eit/ingest: they run only by hand until a host with these stages starts (nocturne hosts)',
    );
    expect((await w.cli('hosts')).stdout).toBe('no daemon has registered yet (each `nocturne daemon` registers at start)\n');
  });

  it('a pause stops new runs on the daemon without a reload; run refuses it unless forced; resume starts them again', async () => {
    daemon = new DaemonProcess(w.dir);
    await daemon.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
    const started = new Date();
    await eventually('a scheduled run', 10_000, async () => ((await scheduledSince(started)) > 0 ? true : undefined));

    const hosts = await w.cli('hosts');
    expect(hosts.stdout).toMatch(
      /^ops-host\s+alive\s+\S+\s+run,upload,ingest\s+\d+s ago \(every 1s\)\s+run \d+ eit\/ingest \w+ \d{4}-\d\d-\d\d \d\d:\d\dZ$/m,
    );
    expect((await w.cli('status')).stdout).not.toContain('warning: no live daemon');

    const paused = await w.cli('pause', 'eit', '--reason', 'telescope maintenance');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/^eit\/ingest: paused by \S+@\S+ since \S+Z: telescope maintenance$/m);
    // Seen by the daemon within a heartbeat period (1 s); a run begun before may finish.
    await sleep(1_500);
    const quiet = new Date();
    await sleep(5_000);
    expect(await scheduledSince(quiet)).toBe(0);
    await daemon.waitFor((l) => l.msg === 'stage paused: its slots wait for the resume', 1_000, 'the pause in the log');

    const status = await w.cli('status');
    expect(status.stdout).toMatch(/^eit\/ingest\s+yes\s+\S+ \S+\s+paused \(see below\)/m);
    expect(status.stdout).toMatch(
      /^eit\/ingest: paused by \S+@\S+ since \S+Z: telescope maintenance \(nocturne resume eit --stage ingest\)$/m,
    );

    const json = JSON.parse((await w.cli('status', '--json')).stdout) as { stages: Array<{ paused?: unknown }> };
    expect(json.stages[0]!.paused).toEqual({
      reason: 'telescope maintenance',
      by: expect.stringMatching(/@/),
      since: expect.stringMatching(/Z$/),
    });

    const refused = await w.cli('run', 'eit', '--stage', 'ingest');
    expect(refused.code).toBe(69);
    expect(refused.stderr).toMatch(
      /STAGE_PAUSED: eit\/ingest is paused by \S+ since \S+: telescope maintenance \(nocturne resume eit --stage ingest\); or run it anyway with --force/,
    );
    expect((await w.cli('run', 'eit', '--stage', 'ingest', '--force')).code).toBe(0);

    const resumed = await w.cli('resume', 'eit');
    expect(resumed.stdout).toMatch(/^eit\/ingest: resumed \(was paused by \S+ since \S+: telescope maintenance\)$/m);
    const back = new Date();
    await eventually('a scheduled run after the resume', 10_000, async () => ((await scheduledSince(back)) > 0 ? true : undefined));
    expect((await w.cli('resume', 'eit')).stdout).toBe('eit: was not paused\n');

    const history = await w.cli('history', 'eit');
    // The second resume changed nothing, and is not recorded; eit has one stage, the only one paused.
    expect(history.stdout.match(/^#\d+\s+resume\s+eit\s+\S+\s+\S+@\S+\s+1 stage\(s\) lifted$/gm)).toHaveLength(1);
    expect(history.stdout).toMatch(/^#\d+\s+pause\s+eit\s+\S+\s+\S+@\S+\s+telescope maintenance$/m);
  }, 60_000);

  it('a daemon killed without stopping is late, then gone; status warns again', async () => {
    daemon!.kill('SIGKILL');
    await daemon!.exited;
    const gone = await eventually('the host to count as gone', 15_000, async () => {
      const out = (await w.cli('hosts')).stdout;
      return /^ops-host\s+gone\s/m.test(out) ? out : undefined;
    });
    expect(gone).toMatch(/^ops-host\s+gone\s+\S+\s+run,upload,ingest\s+\d+s ago \(every 1s\)\s+run \d+ eit\/ingest/m);
    expect((await w.cli('status')).stdout).toContain('warning: no live daemon schedules eit/ingest');
  }, 30_000);
});
