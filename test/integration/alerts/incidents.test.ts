import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alerting, TickReport } from '../../../src/alerts/alerting.js';
import { latestSlot } from '../../../src/alerts/evaluate-stages.js';
import type { AlertKind } from '../../../src/alerts/kinds.js';
import { mailRig, uniqueAddress } from '../../helpers/mail-rig.js';
import { mailTo, waitForMail } from '../../helpers/maildir.js';
import { freePort } from '../../../harness/daemon-process.js';
import { ALL_OFF, alertWorld, insertRun, rigEmail, runStage, type AlertWorld } from './world.js';

/**
 * Each kind against the real database and MTA: the condition appears, an evaluation
 * opens one incident and one message goes out; evaluating again changes nothing; the
 * condition ends, the incident is resolved and one "resolved" message goes out.
 */
describe('each kind of incident opens once and resolves once', () => {
  let w: AlertWorld;
  const rig = mailRig();
  beforeAll(async () => {
    w = await alertWorld('alert_kinds');
  });
  afterAll(() => w.close());

  /** Alerting with only `kind` on, every message of it to a fresh address. */
  function only(
    kind: AlertKind,
    section: string,
    thresholds: Record<string, unknown>,
    pipelines: Record<string, Record<string, unknown>> = {},
  ) {
    const to = uniqueAddress(kind.replace('_', '-'));
    const alerts = { ...ALL_OFF, [section]: { enabled: true, ...thresholds }, email: rigEmail(), routes: { ops: { email: [to] } } };
    return { to, config: w.config({ pipelines, alerts }), alerts };
  }

  const kinds = (report: TickReport, which: 'opened' | 'resolved') =>
    report[which].map((i) => [i.kind, [i.pipeline, i.stage].filter(Boolean).join('/'), i.subject].filter(Boolean).join(' '));

  /** Ticks until the condition opens, checks the one message, ticks again: nothing new. */
  async function opensOnce(alerting: Alerting, to: string, expected: string) {
    const report = await alerting.tick();
    expect(kinds(report, 'opened')).toEqual([expected]);
    expect(report.sent).toBe(1);
    const [mail] = await waitForMail(rig.maildir, to, 1);
    const again = await alerting.tick();
    expect(again.opened).toEqual([]);
    expect(again.sent).toBe(0);
    return mail!;
  }

  async function resolvesOnce(alerting: Alerting, to: string, expected: string) {
    const report = await alerting.tick();
    expect(kinds(report, 'resolved')).toEqual([expected]);
    expect(report.sent).toBe(1);
    const mails = await waitForMail(rig.maildir, to, 2);
    expect((await alerting.tick()).sent).toBe(0);
    expect(await mailTo(rig.maildir, to)).toHaveLength(2);
    return mails[1]!;
  }

  it('stage_failed: opens on a run failed for good, resolves when the stage succeeds', async () => {
    const { to, config } = only('stage_failed', 'stageFailed', {}, { kf: runStage() });
    const alerting = w.alerting(config);
    await insertRun(w.t, {
      pipeline: 'kf',
      stage: 'run',
      slot: '2026-11-20T02:00:00Z',
      state: 'failed',
      attempt: 4,
      error: '3 of 200 observations failed',
      endedSecondsAgo: 30,
    });
    const opened = await opensOnce(alerting, to, 'stage_failed kf/run');
    expect(opened.subject).toBe('[nocturne] stage failed: kf/run');
    expect(opened.body).toContain('kf/run failed after 4 attempts: 3 of 200 observations failed');
    const { id } = await insertRun(w.t, { pipeline: 'kf', stage: 'run', slot: '2026-11-21T02:00:00Z', state: 'succeeded' });
    const resolved = await resolvesOnce(alerting, to, 'stage_failed kf/run');
    expect(resolved.subject).toBe('[nocturne] RESOLVED stage failed: kf/run');
    expect(resolved.body).toContain(`kf/run succeeded again (run ${id})`);
  });

  it('slot_missed: opens when no run has ended within the grace of a slot, resolves when one ends', async () => {
    const { to, config } = only('slot_missed', 'slotMissed', { grace: '10m' }, { km: runStage('*/5 * * * *') });
    // Watching for two days: the last slot counts (a stage that never starts is caught).
    const alerting = w.alerting(config, { clock: { now: () => new Date(Date.now() - 2 * 86_400_000) } });
    const opened = await opensOnce(alerting, to, 'slot_missed km/run');
    expect(opened.body).toMatch(
      /^km\/run: no run has ended within 10 min of its slot of \d{4}-\d\d-\d\d \d\d:\d\d UTC; last success: never/,
    );
    const slot = latestSlot({ schedule: '*/5 * * * *', timezone: 'UTC' }, new Date());
    await insertRun(w.t, { pipeline: 'km', stage: 'run', slot: slot!, state: 'succeeded' });
    const resolved = await resolvesOnce(alerting, to, 'slot_missed km/run');
    expect(resolved.subject).toBe('[nocturne] RESOLVED slot missed: km/run');
  });

  it("work_failed: one digest of the night's rejected files, resolved once they are loaded again", async () => {
    const { to, config } = only('work_failed', 'workFailed', { digestDelay: '0s' }, { kw: runStage() });
    const alerting = w.alerting(config);
    const [rejected] = await w.t.db.many<{ at: Date }>(
      `INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, error, host, finished_at)
       SELECT 'local:/csv', '/csv/f' || i || '.csv', md5(i::text) || md5(i::text), 10, 'kw', 'kw', '1.0', 'hfc.t', 'rejected',
              'f' || i || '.csv:2:3: not a number', 'tycho', now() FROM generate_series(1, 3) i
       RETURNING finished_at AS at`,
    );
    // The night of their rejection, with the default night start (midnight, UTC): the calendar
    // day they were rejected on (a Date taken later is the next day for a test run across midnight).
    const night = rejected!.at.toISOString().slice(0, 10);
    const opened = await opensOnce(alerting, to, `work_failed kw/ingest ${night}`);
    expect(opened.body).toContain('  - file /csv/f2.csv: f2.csv:2:3: not a number');
    await w.t.db.none(
      `INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, host, finished_at)
       SELECT 'local:/csv', '/csv/f' || i || '.csv', md5((i + 100)::text) || md5(i::text), 10, 'kw', 'kw', '1.0', 'hfc.t', 'loaded',
              'tycho', now() FROM generate_series(1, 3) i`,
    );
    const resolved = await resolvesOnce(alerting, to, `work_failed kw/ingest ${night}`);
    expect(resolved.body).toContain('every item of the digest was made good since');
  });

  it('work_stuck: opens on files waiting for upload beyond the threshold, resolves once they are archived', async () => {
    const { to, config } = only('work_stuck', 'workStuck', { after: '1h' }, { ks: runStage() });
    const alerting = w.alerting(config);
    const { id } = await w.t.db.one<{ id: string }>(
      `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, partial_path, state, created_at)
       VALUES ('ks', 'archive', 'output', '/out/ks/a.csv', 10, 0, 'hfc/a.csv', 'hfc/a.csv.x.partial', 'uploading', now() - interval '2 hours')
       RETURNING id`,
    );
    const opened = await opensOnce(alerting, to, 'work_stuck ks/upload');
    expect(opened.body).toContain('1 file has waited for upload longer than 1 h');
    expect(opened.body).toContain('/out/ks/a.csv (uploading since');
    await w.t.db.none(`UPDATE transfers SET state = 'deleted' WHERE id = $1`, [id]);
    await resolvesOnce(alerting, to, 'work_stuck ks/upload');
  });

  it('unreachable: a target this host cannot reach, until it answers again', async () => {
    // An FTP server of this test's own that refuses every login: it answers, which is all a
    // probe asks (the rig's vsftpd is stopped and started by other suites' outage tests).
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.write('220 nocturne test server\r\n');
      socket.on('data', () => socket.write('530 Login incorrect.\r\n'));
    });
    const port = await freePort();
    const ftp = {
      type: 'ftp',
      host: '127.0.0.1',
      port,
      user: 'nobody',
      password: { env: 'NOCTURNE_TEST_NO_SECRET' },
      insecure: true,
      timeout: '5s',
    };
    process.env['NOCTURNE_TEST_NO_SECRET'] = 'x';
    const pipelines = { ku: { upload: { schedule: '0 3 * * *', target: 'gone', remoteDir: '/hfc' } } };
    const to = uniqueAddress('unreachable');
    const alerts = { ...ALL_OFF, unreachable: { enabled: true, after: '0s' }, email: rigEmail(), routes: { ops: { email: [to] } } };
    const alerting = w.alerting(
      w.config({ pipelines, alerts, daemon: { host: { name: 'tycho', stages: ['upload'] }, targets: { gone: ftp } } }),
    );
    // Probes run beside the evaluation: the tick that starts one may already see it end.
    const until = async (which: 'opened' | 'resolved') => {
      let report = await alerting.tick();
      for (let i = 0; i < 3 && report[which].length === 0; i++) {
        await alerting.settleProbes();
        report = await alerting.tick();
      }
      expect(kinds(report, which)).toEqual(['unreachable target:gone@tycho']);
      await alerting.settleProbes();
      expect((await alerting.tick()).sent).toBe(0);
    };
    await until('opened'); // nothing listens
    const [opened] = await waitForMail(rig.maildir, to, 1);
    expect(opened!.body).toMatch(/^target "gone" has been unreachable from tycho for \d+ s .*used by ku\/upload\): .*ECONNREFUSED/);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await until('resolved');
      const mails = await waitForMail(rig.maildir, to, 2);
      expect(mails.map((m) => m.subject)).toEqual([
        '[nocturne] unreachable: target:gone@tycho',
        '[nocturne] RESOLVED unreachable: target:gone@tycho',
      ]);
    } finally {
      server.close();
    }
  });

  it("disk_low: under the threshold on the state directory's disk, then above it after a reload", async () => {
    const { to, config, alerts } = only('disk_low', 'diskLow', { minFree: '100%' });
    const alerting = w.alerting(config);
    const opened = await opensOnce(alerting, to, `disk_low tycho:${config.paths.state}`);
    expect(opened.body).toMatch(/^tycho: .* free of .* on the disk of .*; the threshold is 100%/);
    alerting.reload(w.config({ alerts: { ...alerts, diskLow: { enabled: true, minFree: '1B' } } }));
    await resolvesOnce(alerting, to, `disk_low tycho:${config.paths.state}`);
  });

  it("host_stopped: another host's heartbeat too old, until it beats again", async () => {
    const { to, config } = only('host_stopped', 'hostStopped', { after: '1m' });
    const alerting = w.alerting(config);
    await w.t.db.none(
      `INSERT INTO hosts (name, version, stages, schedules, pid, heartbeat_ms, heartbeat_at) VALUES ('brahe', '0.1.0', '{ingest}', '{}', 1, 10000, now() - interval '10 minutes')`,
    );
    const opened = await opensOnce(alerting, to, 'host_stopped brahe');
    expect(opened.subject).toBe('[nocturne] host stopped: brahe');
    await w.t.db.none(`UPDATE hosts SET heartbeat_at = now() WHERE name = 'brahe'`);
    await resolvesOnce(alerting, to, 'host_stopped brahe');
  });

  it('recorded each incident with its two messages, both sent', async () => {
    const rows = await w.t.db.any<{ kind: string; events: string }>(
      `SELECT i.kind, string_agg(n.event || ':' || n.state, ' ' ORDER BY n.id) AS events FROM incidents i
         JOIN notifications n ON n.incident_id = i.id GROUP BY i.id, i.kind ORDER BY i.id`,
    );
    expect(rows).toEqual(
      ['stage_failed', 'slot_missed', 'work_failed', 'work_stuck', 'unreachable', 'disk_low', 'host_stopped'].map((kind) => ({
        kind,
        events: 'opened:sent resolved:sent',
      })),
    );
  });

  it('an incident whose kind a reload turned off is resolved, saying so', async () => {
    const { to, config, alerts } = only('stage_failed', 'stageFailed', {}, { koff: runStage() });
    const alerting = w.alerting(config);
    await insertRun(w.t, { pipeline: 'koff', stage: 'run', slot: '2026-11-20T02:00:00Z', state: 'failed', endedSecondsAgo: 30 });
    await opensOnce(alerting, to, 'stage_failed koff/run');
    alerting.reload(w.config({ alerts, pipelines: { koff: { ...runStage(), alerts: { stageFailed: { enabled: false } } } } }));
    const resolved = await resolvesOnce(alerting, to, 'stage_failed koff/run');
    expect(resolved.subject).toBe('[nocturne] RESOLVED stage failed: koff/run');
    expect(resolved.body).toContain('no longer watched: configuration changed (stageFailed turned off for koff)');
  });
});
