import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageSender } from '../../../src/alerts/sender.js';
import { EmailChannel } from '../../../src/alerts/channels/email.js';
import { createLogger } from '../../../src/log/logger.js';
import { mailRig, uniqueAddress } from '../../helpers/mail-rig.js';
import { mailTo, waitForMail } from '../../helpers/maildir.js';
import { ALL_OFF, alertWorld, rigEmail, type AlertWorld } from './world.js';
import { WebhookReceiver } from './webhook-receiver.js';

const CHILD = fileURLToPath(new URL('./sender-child.ts', import.meta.url));
const rig = mailRig();

describe('delivery of alert messages', () => {
  let w: AlertWorld;
  const hook = new WebhookReceiver('hook-secret');
  beforeAll(async () => {
    w = await alertWorld('alert_delivery');
    await hook.start();
    process.env['NOCTURNE_TEST_DELIVERY_HOOK'] = 'hook-secret';
  });
  afterAll(async () => {
    await hook.close();
    await w.close();
  });

  /** Digests only, of pipeline `p`, to a fresh address and the webhook. */
  function digests(p: string, extra: Record<string, unknown> = {}) {
    const to = uniqueAddress(p);
    const alerts = {
      ...ALL_OFF,
      workFailed: { enabled: true, digestDelay: '0s' },
      email: rigEmail(),
      webhooks: { chat: { url: hook.url, secret: { env: 'NOCTURNE_TEST_DELIVERY_HOOK' } } },
      routes: { science: { pipelines: [p], email: [to], webhooks: ['chat'] } },
      ...extra,
    };
    const pipelines = {
      [p]: {
        ingest: {
          schedule: '0 4 * * *',
          source: { dir: '/csv' },
          table: 'hfc.t',
          columns: { id: { from: 'ID', type: 'int' } },
          naturalKey: ['id'],
        },
      },
    };
    return { to, config: w.config({ pipelines, alerts }), pipelines };
  }

  /** Rejects files `from`..`to` of pipeline `p`, at `at` (default: now). */
  const reject = (p: string, from: number, to: number, at?: Date) =>
    w.t.db.none(
      `INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, error, host, finished_at)
       SELECT 'local:/csv', '/csv/' || $1 || '/f' || i || '.csv', encode(sha256(($1 || i)::bytea), 'hex'), 10, $1, $1, '1.0', 'hfc.t',
              'rejected', 'f' || i || '.csv:2:3: not a number', 'tycho', coalesce($4::timestamptz, now()) FROM generate_series($2::int, $3::int) i`,
      [p, from, to, at ?? null],
    );

  it('a flood of 500 rejected files gives one message, listing them all, and one webhook POST', async () => {
    const { to, config } = digests('flood');
    hook.answer = () => 200;
    const before = hook.received.length;
    await reject('flood', 1, 500);
    const report = await w.alerting(config).tick();
    expect(report.opened.map((i) => [i.kind, i.size])).toEqual([['work_failed', 500]]);
    expect(report.sent).toBe(2);
    const [mail] = await waitForMail(rig.maildir, to, 1);
    expect(mail!.subject).toMatch(/^\[nocturne\] work failed: flood\/ingest, night of \d{4}-\d\d-\d\d \(500 items\)$/);
    expect(mail!.body.match(/^ {2}- file \/csv\/flood\/f\d+\.csv: f\d+\.csv:2:3: not a number$/gm)).toHaveLength(500);
    const posts = hook.received.slice(before);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.signed).toBe(true);
    expect(posts[0]!.json['incident']).toMatchObject({ kind: 'work_failed', pipeline: 'flood', size: 500 });
    expect(await mailTo(rig.maildir, to)).toHaveLength(1);
  });

  it("a digest waits digestDelay for the night's items, then tells a growth once per updateEvery", async () => {
    const { to, config } = digests('grow', { workFailed: { enabled: true, digestDelay: '1h', updateEvery: '90m' } });
    const alerting = w.alerting(config);
    // All of one night, the night of the first rejection: rejected at their own moments, the
    // later ones would open a digest of the next night for a test run across midnight.
    const rejectedAt = new Date();
    await reject('grow', 1, 3, rejectedAt);
    const first = await alerting.tick();
    expect(first.opened).toHaveLength(1);
    expect(first.sent).toBe(0);
    await reject('grow', 4, 5, rejectedAt);
    expect((await alerting.tick()).sent).toBe(0);
    // The hour has passed (the database's clock decides: notify_after).
    await w.t.db.none(`UPDATE incidents SET notify_after = now() WHERE pipeline = 'grow'`);
    expect((await alerting.tick()).sent).toBe(2);
    const [opened] = await waitForMail(rig.maildir, to, 1);
    expect(opened!.body.split('\n')[0]).toMatch(/: 5 rejected files$/);
    await reject('grow', 6, 8, rejectedAt);
    expect((await alerting.tick()).sent).toBe(0);
    const lastMessage = (ago: string) =>
      w.t.db.none(
        `UPDATE notifications SET created_at = now() - $1::interval FROM incidents i WHERE i.id = incident_id AND i.pipeline = 'grow'`,
        [ago],
      );
    await lastMessage('70 minutes'); // past digestDelay, not yet updateEvery
    expect((await alerting.tick()).sent).toBe(0);
    await lastMessage('2 hours');
    expect((await alerting.tick()).sent).toBe(2);
    const mails = await waitForMail(rig.maildir, to, 2);
    expect(mails[1]!.subject).toMatch(/^\[nocturne\] UPDATE work failed: grow\/ingest, .* \(8 items\)$/);
    expect(mails[1]!.body.split('\n')[0]).toMatch(/: 8 rejected files \(3 more since the last message\)$/);
    expect((await alerting.tick()).sent).toBe(0);
  });

  it('a webhook refused for now is tried again after a backoff, with the same delivery id, and delivered once', async () => {
    const { config, pipelines } = digests('retry');
    const alerts = {
      ...config.daemon.alerts!,
      routes: { science: { pipelines: ['retry'], webhooks: ['chat'] } },
      retry: { attempts: 3, first: '1m', max: '1h' },
    };
    const alerting = w.alerting(w.config({ pipelines, alerts }));
    const before = hook.received.length;
    hook.answer = (n) => (n === before ? 503 : 200);
    await reject('retry', 1, 1);
    const first = await alerting.tick();
    expect([first.sent, first.failed]).toEqual([0, 1]);
    const row = await w.t.db.one<{ state: string; attempts: number; wait: number; error: string }>(
      `SELECT n.state, n.attempts, extract(epoch FROM n.not_before - now()) AS wait, n.error FROM notifications n
         JOIN incidents i ON i.id = n.incident_id WHERE i.pipeline = 'retry'`,
    );
    expect(row).toMatchObject({ state: 'due', attempts: 1 });
    // Full jitter over the first delay: between half of it and all of it.
    expect(Number(row.wait)).toBeGreaterThan(25);
    expect(Number(row.wait)).toBeLessThanOrEqual(60);
    expect(row.error).toMatch(/^webhook:chat: POST http:\/\/127\.0\.0\.1:\d+ answered 503/);
    expect((await alerting.tick()).sent).toBe(0);
    await w.t.db.none(`UPDATE notifications SET not_before = now() FROM incidents i WHERE i.id = incident_id AND i.pipeline = 'retry'`);
    expect((await alerting.tick()).sent).toBe(1);
    const posts = hook.received.slice(before);
    expect(posts.map((p) => [p.status, p.headers['x-nocturne-delivery'], p.signed])).toEqual([
      [503, posts[0]!.headers['x-nocturne-delivery'], true],
      [200, posts[0]!.headers['x-nocturne-delivery'], true],
    ]);
  });

  it('reminds every remindEvery while open, once per period', async () => {
    const { to, config } = digests('remind', { remindEvery: '1h' });
    const alerting = w.alerting(config);
    await reject('remind', 1, 1);
    expect((await alerting.tick()).sent).toBe(2);
    await w.t.db.none(
      `UPDATE incidents SET opened_at = now() - interval '2 hours 15 minutes', announced_at = now() - interval '2 hours 15 minutes' WHERE pipeline = 'remind'`,
    );
    // Reminders count from when the first message went out.
    await w.t.db.none(
      `UPDATE notifications SET sent_at = now() - interval '2 hours 15 minutes'
        WHERE incident_id IN (SELECT id FROM incidents WHERE pipeline = 'remind')`,
    );
    expect((await alerting.tick()).sent).toBe(2);
    expect((await alerting.tick()).sent).toBe(0);
    const mails = await waitForMail(rig.maildir, to, 2);
    expect(mails[1]!.subject).toMatch(/^\[nocturne\] REMINDER work failed: remind\/ingest/);
    expect(mails[1]!.body).toMatch(/^Still open after 2 h 15 min: /);
    const seqs = await w.t.db.map(
      `SELECT n.seq FROM notifications n JOIN incidents i ON i.id = n.incident_id WHERE i.pipeline = 'remind' AND n.event = 'reminder' AND n.destination LIKE 'email:%'`,
      [],
      (r: { seq: number }) => r.seq,
    );
    expect(seqs).toEqual([2]);
  });

  it('during quiet hours the opening is held; resolved before they end, people get one message saying both', async () => {
    const now = new Date();
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const quietHours = { from: hhmm(new Date(now.getTime() - 3_600_000)), to: hhmm(new Date(now.getTime() + 3_600_000)) };
    const to = uniqueAddress('quiet');
    const { config, pipelines } = digests('quiet');
    const alerts = { ...config.daemon.alerts!, routes: { science: { pipelines: ['quiet'], email: [to], quietHours } } };
    const alerting = w.alerting(w.config({ pipelines, alerts }));
    await reject('quiet', 1, 2);
    expect((await alerting.tick()).sent).toBe(0);
    // The two files come again, corrected, and load.
    await w.t.db.none(
      `INSERT INTO ingested_files (source, path, sha256, size_bytes, pipeline, code, code_version, target_table, status, host, finished_at)
       SELECT source, path, encode(sha256((path || 'fixed')::bytea), 'hex'), 10, pipeline, code, code_version, target_table, 'loaded', host, now()
         FROM ingested_files WHERE pipeline = 'quiet'`,
    );
    const resolved = await alerting.tick();
    expect(resolved.resolved).toHaveLength(1);
    expect(resolved.sent).toBe(0);
    const rows = await w.t.db.map(
      `SELECT n.event || ':' || n.state AS e FROM notifications n JOIN incidents i ON i.id = n.incident_id WHERE i.pipeline = 'quiet' ORDER BY n.id`,
      [],
      (r: { e: string }) => r.e,
    );
    expect(rows).toEqual(['opened:cancelled', 'resolved:due']);
    // The quiet hours are over.
    await w.t.db.none(`UPDATE notifications SET not_before = now() FROM incidents i WHERE i.id = incident_id AND i.pipeline = 'quiet'`);
    expect((await alerting.tick()).sent).toBe(1);
    const [mail] = await waitForMail(rig.maildir, to, 1);
    expect(mail!.subject).toMatch(/^\[nocturne\] RESOLVED work failed: quiet\/ingest/);
    expect(mail!.body).toContain('Opened: ');
  });

  it('a stop does not wait on a server that never answers for longer than its bound', async () => {
    const { config } = digests('hang');
    let sending = () => {};
    const sent = new Promise<void>((resolve) => (sending = resolve));
    const hang = { send: () => (sending(), new Promise<void>(() => {})) };
    const alerting = w.alerting(config, { channels: () => ({ email: hang, webhook: hang }), stopWaitMs: 300 });
    await reject('hang', 1, 1);
    alerting.start();
    await sent;
    const t0 = Date.now();
    await alerting.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // The claim stays, as after a kill: the next sender of another process takes it over.
    const states = await w.t.db.map(
      `SELECT n.state FROM notifications n JOIN incidents i ON i.id = n.incident_id WHERE i.pipeline = 'hang'`,
      [],
      (r: { state: string }) => r.state,
    );
    expect(states).toContain('sending');
    await w.t.db.none(`UPDATE notifications SET state = 'cancelled' FROM incidents i WHERE i.id = incident_id AND i.pipeline = 'hang'`);
  });

  it('two hosts evaluating at once open one incident and send one message', async () => {
    const { to, config, pipelines } = digests('twice');
    const other = w.config({ pipelines, alerts: config.daemon.alerts!, daemon: { host: { name: 'brahe' } } });
    await reject('twice', 1, 4);
    const reports = await Promise.all([w.alerting(config).tick(), w.alerting(other).tick()]);
    expect(reports.flatMap((r) => r.opened)).toHaveLength(1);
    expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(2);
    const attempts = await w.t.db.map(
      `SELECT n.attempts FROM notifications n JOIN incidents i ON i.id = n.incident_id WHERE i.pipeline = 'twice'`,
      [],
      (r: { attempts: number }) => r.attempts,
    );
    expect(attempts).toEqual([1, 1]);
    await waitForMail(rig.maildir, to, 1);
    expect(await mailTo(rig.maildir, to)).toHaveLength(1);
  });

  describe('a sender killed with SIGKILL', () => {
    const server = {
      host: rig.host,
      port: rig.port,
      security: 'starttls' as const,
      ca: rig.ca,
      from: `nocturne@${rig.domain}`,
      timeoutMs: 10_000,
    };

    /** A due message about a fresh incident, to a fresh address. */
    async function dueMessage(label: string): Promise<{ to: string; id: string }> {
      const to = uniqueAddress(label);
      const { id: incident } = await w.t.db.one<{ id: string }>(
        `INSERT INTO incidents (kind, subject, summary, opened_by, announced_at) VALUES ('host_stopped', $1, 'host stopped', 'tycho', now()) RETURNING id`,
        [label],
      );
      const { id } = await w.t.db.one<{ id: string }>(
        `INSERT INTO notifications (incident_id, event, destination, routes, subject, body, payload)
         VALUES ($1, 'opened', $2, '{ops}', $3, 'body', '{}') RETURNING id`,
        [incident, `email:${to}`, `[nocturne] host stopped: ${label}`],
      );
      return { to, id };
    }

    async function dies(kill: string): Promise<void> {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CHILD, JSON.stringify({ url: w.t.url, schema: w.t.schema, server, kill })],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      expect(signal, stderr).toBe('SIGKILL');
      expect(code).toBeNull();
    }

    const sender = () =>
      new MessageSender(
        w.t.db,
        { host: 'tycho', retry: { attempts: 8, firstMs: 30_000, maxMs: 1_800_000 } } as never,
        { email: new EmailChannel(server) },
        createLogger({ level: 'silent' }),
      );

    it('between sending and recording: the message is sent once more, and only once (the bound: one duplicate)', async () => {
      const { to, id } = await dueMessage('killed-after-send');
      await dies('after-send');
      await waitForMail(rig.maildir, to, 1);
      expect(await w.t.db.one('SELECT state, claimed_by FROM notifications WHERE id = $1', [id])).toEqual({
        state: 'sending',
        claimed_by: 'dying-host',
      });
      expect(await sender().sendDue()).toEqual({ sent: 1, failed: 0 });
      expect(await sender().sendDue()).toEqual({ sent: 0, failed: 0 });
      const mails = await waitForMail(rig.maildir, to, 2);
      // The same Message-ID for both copies: the id, and when the message was written (another install's message 1 differs).
      expect(mails[0]!.messageId).toMatch(new RegExp(`^<nocturne\\.${id}-[0-9a-z]+@${rig.domain.replaceAll('.', '\\.')}>$`));
      expect(mails[1]!.messageId).toBe(mails[0]!.messageId);
      expect(await w.t.db.one('SELECT state, attempts FROM notifications WHERE id = $1', [id])).toEqual({ state: 'sent', attempts: 2 });
    });

    it('after its claim and before sending: the message is sent once', async () => {
      const { to, id } = await dueMessage('killed-before-send');
      await dies('before-send');
      expect(await mailTo(rig.maildir, to)).toEqual([]);
      expect(await sender().sendDue()).toEqual({ sent: 1, failed: 0 });
      await waitForMail(rig.maildir, to, 1);
      expect(await w.t.db.one('SELECT state FROM notifications WHERE id = $1', [id])).toEqual({ state: 'sent' });
    });

    it("a message another sender of this process is still sending is not taken for a dead one's", async () => {
      const { to, id } = await dueMessage('in-flight');
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const email = new EmailChannel(server);
      const slow = new MessageSender(
        w.t.db,
        { host: 'tycho', retry: { attempts: 8, firstMs: 30_000, maxMs: 1_800_000 } } as never,
        {
          email: { send: async (address, message) => gate.then(() => email.send(address, message)) },
        },
        createLogger({ level: 'silent' }),
      );
      const sending = slow.sendDue();
      while ((await w.t.db.one<{ state: string }>('SELECT state FROM notifications WHERE id = $1', [id])).state !== 'sending') {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await sender().sendDue()).toEqual({ sent: 0, failed: 0 });
      release();
      expect(await sending).toEqual({ sent: 1, failed: 0 });
      await waitForMail(rig.maildir, to, 1);
      expect(await w.t.db.one('SELECT state, attempts FROM notifications WHERE id = $1', [id])).toEqual({ state: 'sent', attempts: 1 });
    });

    it('a claim of a live process elsewhere is left alone until it is older than the claim timeout', async () => {
      const { to, id } = await dueMessage('claimed-elsewhere');
      await w.t.db.none(
        `UPDATE notifications SET state = 'sending', claimed_by = 'brahe', claimed_pid = 1, claimed_holder = 'other-machine/pid:[1]', claimed_at = now() WHERE id = $1`,
        [id],
      );
      expect(await sender().sendDue()).toEqual({ sent: 0, failed: 0 });
      await w.t.db.none(`UPDATE notifications SET claimed_at = now() - interval '6 minutes' WHERE id = $1`, [id]);
      expect(await sender().sendDue()).toEqual({ sent: 1, failed: 0 });
      await waitForMail(rig.maildir, to, 1);
    });
  });
});
