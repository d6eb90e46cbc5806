import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { mailRig, uniqueAddress } from '../../helpers/mail-rig.js';
import { mailTo, waitForMail } from '../../helpers/maildir.js';
import { DaemonProcess, freePort, ingestPipeline, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { ALL_OFF, rigEmail } from './world.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * A real daemon whose database goes away (a relay in front of the rig's PostgreSQL is
 * stopped): the incidents it raises meanwhile are sent from its spool, the spool
 * survives a kill -9, and is recorded in the database once it is back, without repeats.
 */
describe('alerting while the state database is down', () => {
  const rig = mailRig();
  const to = uniqueAddress('db-down');
  let t: TestDb;
  let dir: string;
  let proxy: TcpProxy;
  let daemon: DaemonProcess;
  const spool = () => path.join(dir, 'state', 'alerts-spool');

  async function configure(diskLow: Record<string, unknown>): Promise<void> {
    const url = new URL(t.url);
    url.port = String(proxy.port);
    await writeDaemonConfig(dir, {
      pgUrl: url.toString(),
      schema: t.schema,
      port: await freePort(),
      pipelines: { eit: ingestPipeline('eit', '0 0 1 1 *', path.join(dir, 'csv')) },
      extra: {
        host: { name: 'tycho', heartbeat: '1s' },
        shutdown: { grace: '2s' },
        alerts: {
          ...ALL_OFF,
          evaluateEvery: '1s',
          unreachable: { databaseAfter: '2s' },
          diskLow,
          email: rigEmail(),
          routes: { ops: { email: [to] } },
        },
      },
    });
  }

  beforeAll(async () => {
    t = await createTestDb('alert_db_down');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-alert-db-down-'));
    const pg = new URL(t.url);
    proxy = new TcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    await proxy.start();
    await configure({ enabled: false });
    daemon = new DaemonProcess(dir);
    await daemon.waitFor((l) => l.msg === 'ready', 30_000, '"ready"');
  });

  afterAll(async () => {
    if (daemon.running) daemon.kill('SIGKILL');
    await daemon.exited;
    await proxy.stop();
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('tells that the database is unreachable, from the spool, after databaseAfter', async () => {
    await proxy.stop();
    const [mail] = await waitForMail(rig.maildir, to, 1, 20_000);
    expect(mail!.subject).toBe('[nocturne] unreachable: database@tycho');
    expect(mail!.body).toMatch(/^the state database has not answered tycho for \d+ s \(since .*\): /);
    expect(mail!.body).toContain('Incident: (not yet recorded: the state database was unreachable)');
    expect((await readdir(spool())).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  });

  it('an incident that opens while the database is down is kept and sent, and survives a kill -9', async () => {
    await configure({ enabled: true, minFree: '100%' });
    daemon.kill('SIGHUP');
    await daemon.waitFor((l) => l.msg === 'configuration reloaded', 10_000, 'the reload');
    const mails = await waitForMail(rig.maildir, to, 2, 20_000);
    expect(mails[1]!.subject).toMatch(/^\[nocturne\] disk space low: tycho:\//);
    expect((await readdir(spool())).filter((f) => f.endsWith('.json'))).toHaveLength(2);
    daemon.kill('SIGKILL');
    await daemon.exited;
  });

  it('once the database is back, the spool is recorded there: no message twice, the end of the outage told once', async () => {
    await proxy.start();
    daemon = new DaemonProcess(dir);
    await daemon.waitFor((l) => l.msg === 'ready', 30_000, '"ready" after the outage');
    const mails = await waitForMail(rig.maildir, to, 3, 20_000);
    expect(mails[2]!.subject).toBe('[nocturne] RESOLVED unreachable: database@tycho');
    await daemon.waitFor((l) => l.msg === 'spooled incident recorded in the state database', 10_000, 'the spool recorded');
    const rows = await t.db.any<{ kind: string; open: boolean; events: string }>(
      `SELECT i.kind, i.resolved_at IS NULL AS open, string_agg(n.event || ':' || n.state, ' ' ORDER BY n.id) AS events
         FROM incidents i JOIN notifications n ON n.incident_id = i.id GROUP BY i.id ORDER BY i.kind`,
    );
    expect(rows).toEqual([
      { kind: 'disk_low', open: true, events: 'opened:sent' },
      { kind: 'unreachable', open: false, events: 'opened:sent resolved:sent' },
    ]);
    expect((await readdir(spool())).filter((f) => f.endsWith('.json'))).toEqual([]);
    // Evaluations go on; nothing more is sent about either.
    const { at } = await t.db.one<{ at: Date }>(`SELECT heartbeat_at AS at FROM hosts WHERE name = 'tycho'`);
    const later = async () => (await t.db.one<{ at: Date }>(`SELECT heartbeat_at AS at FROM hosts WHERE name = 'tycho'`)).at;
    while ((await later()).getTime() < at.getTime() + 2_500) await new Promise((r) => setTimeout(r, 100));
    expect((await mailTo(rig.maildir, to)).map((m) => m.subject)).toEqual([
      '[nocturne] unreachable: database@tycho',
      expect.stringMatching(/^\[nocturne\] disk space low: tycho:\//),
      '[nocturne] RESOLVED unreachable: database@tycho',
    ]);
  });
});
