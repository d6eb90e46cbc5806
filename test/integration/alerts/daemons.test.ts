import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { mailRig, uniqueAddress } from '../../helpers/mail-rig.js';
import { mailTo, waitForMail } from '../../helpers/maildir.js';
import {
  DaemonProcess,
  eventually,
  freePort,
  ingestPipeline,
  nocturne,
  quietSchedule,
  writeDaemonConfig,
} from '../../../harness/daemon-process.js';
import { openApiProblems } from '../monitor/openapi-check.js';
import { insertRun, rigEmail } from './world.js';
import { WebhookReceiver } from './webhook-receiver.js';

/**
 * Two real daemons (`node bin/nocturne.js daemon`, needs npm run build) on one state
 * database, evaluating every second, with heartbeats every second.
 */
describe('alerting in two daemons on one database', () => {
  const rig = mailRig();
  const to = uniqueAddress('daemons');
  const hook = new WebhookReceiver('daemons-secret');
  let t: TestDb;
  let root: string;
  const daemons = new Map<string, DaemonProcess>();
  const dirs = new Map<string, string>();
  const ports = new Map<string, number>();

  async function start(name: string): Promise<DaemonProcess> {
    const daemon = new DaemonProcess(dirs.get(name)!);
    daemons.set(name, daemon);
    await daemon.waitFor((l) => l.msg === 'ready', 30_000, `"ready" of ${name}`);
    return daemon;
  }

  beforeAll(async () => {
    t = await createTestDb('alert_daemons');
    // Daemons and commands read the webhook's secret from here.
    process.env['NOCTURNE_TEST_DAEMONS_HOOK'] = 'daemons-secret';
    await hook.start();
    root = await mkdtemp(path.join(os.tmpdir(), 'nocturne-alert-daemons-'));
    const alerts = {
      evaluateEvery: '1s',
      slotMissed: { enabled: false },
      diskLow: { enabled: false },
      hostStopped: { after: '3s' },
      email: rigEmail(),
      webhooks: { chat: { url: hook.url, secret: { env: 'NOCTURNE_TEST_DAEMONS_HOOK' } } },
      routes: { ops: { email: [to], webhooks: ['chat'] } },
    };
    for (const name of ['alpha', 'beta']) {
      const dir = path.join(root, name);
      const port = await freePort();
      dirs.set(name, dir);
      ports.set(name, port);
      await writeDaemonConfig(dir, {
        pgUrl: t.url,
        schema: t.schema,
        port,
        // The stage never runs by itself, its history is the test's: no slot comes due during
        // the test, and beta's restart catches up none after the slot the test records (with
        // "0 0 1 1 *" it did from 2027 on: the next New Year's slot).
        pipelines: { eit: ingestPipeline('eit', quietSchedule(), path.join(dir, 'csv'), '  catchUp: none') },
        extra: { host: { name, heartbeat: '1s' }, alerts, shutdown: { grace: '2s' } },
      });
    }
    await Promise.all(['alpha', 'beta'].map(start));
  });

  afterAll(async () => {
    for (const daemon of daemons.values()) {
      if (daemon.running) daemon.kill('SIGKILL');
      await daemon.exited;
    }
    await hook.close();
    await t.drop();
    await rm(root, { recursive: true, force: true });
  });

  const subjects = async () => (await mailTo(rig.maildir, to)).map((m) => m.subject);

  it('registered both hosts with their heartbeat', async () => {
    const hosts = await t.db.any<{ name: string; schedules: string[]; heartbeat_ms: number }>(
      'SELECT name, schedules, heartbeat_ms FROM hosts ORDER BY name',
    );
    expect(hosts).toEqual([
      { name: 'alpha', schedules: ['eit/ingest'], heartbeat_ms: 1000 },
      { name: 'beta', schedules: ['eit/ingest'], heartbeat_ms: 1000 },
    ]);
  });

  it('a stage that failed is told once, by e-mail and webhook, though both daemons see it', async () => {
    await insertRun(t, {
      pipeline: 'eit',
      stage: 'ingest',
      slot: '2026-01-01T00:00:00Z',
      state: 'failed',
      error: 'the catalogue refused a row',
      endedSecondsAgo: 10,
    });
    await waitForMail(rig.maildir, to, 1, 20_000);
    await hook.waitFor(1);
    expect(await subjects()).toEqual(['[nocturne] stage failed: eit/ingest']);
    expect(hook.received[0]!.signed).toBe(true);
    // Both keep evaluating (every second) while the next test runs; its end checks nothing more came.
  });

  it('a host whose daemon is killed is reported by the other, and resolved once it is back', async () => {
    const beta = daemons.get('beta')!;
    beta.kill('SIGKILL');
    await beta.exited;
    const mails = await waitForMail(rig.maildir, to, 2, 20_000);
    expect(mails[1]!.subject).toBe('[nocturne] host stopped: beta');
    expect(mails[1]!.body).toMatch(
      /^host beta has written no heartbeat for \d+ s \(limit 3 s\): its daemon died or lost the database without stopping/,
    );
    expect(mails[1]!.body).toContain('noticed by alpha');
    await start('beta');
    const all = await waitForMail(rig.maildir, to, 3, 20_000);
    expect(all[2]!.subject).toBe('[nocturne] RESOLVED host stopped: beta');
    expect(all[2]!.body).toMatch(/^Resolved: beta writes its heartbeat again/);
  });

  it('each message went out once: the stage failure, the stop, its end', async () => {
    // Several evaluations of both daemons after the last message, then the count.
    const { n } = await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE state <> 'sent'`);
    expect(n).toBe(0);
    const { at } = await t.db.one<{ at: Date }>('SELECT max(heartbeat_at) AS at FROM hosts');
    await eventually('three more heartbeats of each host', 10_000, async () => {
      const rows = await t.db.any<{ beat: Date }>('SELECT heartbeat_at AS beat FROM hosts');
      return rows.every((r) => r.beat.getTime() > at.getTime() + 2_500) ? true : undefined;
    });
    expect(await subjects()).toEqual([
      '[nocturne] stage failed: eit/ingest',
      '[nocturne] host stopped: beta',
      '[nocturne] RESOLVED host stopped: beta',
    ]);
    expect(hook.received.map((r) => [r.json['event'], (r.json['incident'] as { kind: string }).kind, r.signed])).toEqual([
      ['opened', 'stage_failed', true],
      ['opened', 'host_stopped', true],
      ['resolved', 'host_stopped', true],
    ]);
  });

  it('nocturne incidents, status and /api/incidents show the open one', async () => {
    const listed = await nocturne(['incidents', '--open', '--config', dirs.get('alpha')!]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+KIND\s+ABOUT\s+OPENED\s+RESOLVED\s+MESSAGES\s+SUMMARY$/m);
    expect(listed.stdout).toMatch(
      /^\d+\s+stage failed\s+eit\/ingest\s+\S+ \S+ (alpha|beta)\s+open\s+sent=2\s+eit\/ingest failed: the catalogue refused a row$/m,
    );
    expect(listed.stdout).not.toContain('host stopped');
    const all = await nocturne(['incidents', '--config', dirs.get('alpha')!]);
    expect(all.stdout).toMatch(/host stopped\s+beta .* beta writes its heartbeat again$/m);
    const status = await nocturne(['status', '--config', dirs.get('alpha')!]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      /^open incidents \(1; `nocturne incidents --open`\):\n {2}#\d+ stage failed since .*: eit\/ingest failed: the catalogue refused a row$/m,
    );
    const url = `http://127.0.0.1:${ports.get('alpha')}/api/incidents?open=1`;
    const api = (await (await fetch(url)).json()) as { kind: string; messages: Record<string, number> }[];
    expect(api.map((i) => [i.kind, i.messages])).toEqual([['stage_failed', { sent: 2 }]]);
    expect(openApiProblems('get', url, 200, api)).toEqual([]);
    const pipelinesUrl = `http://127.0.0.1:${ports.get('alpha')}/api/pipelines`;
    const pipelines = (await (await fetch(pipelinesUrl)).json()) as { incidents: unknown[] };
    expect(pipelines.incidents).toHaveLength(1);
    expect(openApiProblems('get', pipelinesUrl, 200, pipelines)).toEqual([]);
  });

  it('/metrics exports what the Prometheus rules of monitoring/ read', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${ports.get('alpha')}/metrics`)).text();
    expect(metrics).toMatch(/^nocturne_stage_last_due_slot_timestamp_seconds\{pipeline="eit",stage="ingest"\} \d{10}$/m);
    expect(metrics).toMatch(/^nocturne_stage_last_ended_slot_timestamp_seconds\{pipeline="eit",stage="ingest"\} 1767225600$/m);
    expect(metrics).toMatch(/^nocturne_host_heartbeat_timestamp_seconds\{host="beta"\} \d{10}/m);
    expect(metrics).toContain('nocturne_incidents_open{kind="stage_failed"} 1');
    expect(metrics).toContain('nocturne_incidents_open{kind="host_stopped"} 0');
    expect(metrics).toContain('nocturne_alert_messages{state="sent"} 6');
    expect(metrics).toContain('nocturne_alert_messages{state="failed"} 0');
  });
});
