import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../src/alerts/channels/channel.js';
import { EmailChannel } from '../../../src/alerts/channels/email.js';
import { WebhookChannel } from '../../../src/alerts/channels/webhook.js';
import type { EmailServer } from '../../../src/alerts/settings.js';
import { NocturneError } from '../../../src/core/errors.js';
import { mailRig, uniqueAddress } from '../../helpers/mail-rig.js';
import { waitForMail } from '../../helpers/maildir.js';
import { WebhookReceiver } from './webhook-receiver.js';

const message = (delivery: string): OutgoingMessage => ({
  delivery,
  event: 'opened',
  incident: 42,
  subject: '[nocturne] stage failed: sdoss/run',
  body: 'sdoss/run failed after 4 attempts: exit code 3 — see the log\n\nIncident: 42\n',
  payload: { version: 1, event: 'opened', text: 'stage failed: sdoss/run', incident: null, link: null, host: 'tycho', routes: ['ops'] },
});

async function failure(work: Promise<unknown>): Promise<NocturneError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NocturneError);
  return err as NocturneError;
}

describe("e-mail through the rig's postfix", () => {
  const rig = mailRig();
  const server = (extra: Partial<EmailServer> = {}): EmailServer => ({
    host: rig.host,
    port: rig.port,
    security: 'starttls',
    ca: rig.ca,
    from: `nocturne@${rig.domain}`,
    timeoutMs: 10_000,
    ...extra,
  });

  it("is delivered over STARTTLS, plain text, with a Message-ID fixed by the delivery and nocturne's headers", async () => {
    const to = uniqueAddress('starttls');
    await new EmailChannel(server()).send(to, message('17'));
    const [mail] = await waitForMail(rig.maildir, to, 1);
    expect(mail!.subject).toBe('[nocturne] stage failed: sdoss/run');
    expect(mail!.body).toContain('sdoss/run failed after 4 attempts: exit code 3 — see the log');
    expect(mail!.messageId).toBe(`<nocturne.17@${rig.domain}>`);
    expect(mail!.headers.get('x-nocturne-incident')).toBe('42');
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail!.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(mail!.headers.get('received')).toMatch(/with ESMTPS/);
  });

  it('logs in with SMTP AUTH, the password read from its secret reference', async () => {
    const to = uniqueAddress('auth');
    process.env['NOCTURNE_TEST_ALERT_SMTP_PASSWORD'] = rig.password;
    const auth = server({ port: rig.authPort, user: rig.user, password: { env: 'NOCTURNE_TEST_ALERT_SMTP_PASSWORD' } });
    await new EmailChannel(auth).send(to, message('18'));
    expect(await waitForMail(rig.maildir, to, 1)).toHaveLength(1);
  });

  it('a wrong password, a server that wants a login, an untrusted certificate: refused for good, saying what to fix', async () => {
    const to = uniqueAddress('refused');
    process.env['NOCTURNE_TEST_ALERT_SMTP_WRONG'] = 'not-the-password';
    const wrong = await failure(
      new EmailChannel(server({ port: rig.authPort, user: rig.user, password: { env: 'NOCTURNE_TEST_ALERT_SMTP_WRONG' } })).send(
        to,
        message('19'),
      ),
    );
    expect(wrong).toMatchObject({ code: 'ALERT_DELIVERY_FAILED', retryable: false });
    expect(wrong.message).toMatch(
      new RegExp(`^email:${to}: SMTP 127.0.0.1:${rig.authPort} refused the login \\(.*535.*\\): check alerts.email.user and password$`),
    );
    const anonymous = await failure(new EmailChannel(server({ port: rig.authPort })).send(to, message('20')));
    expect(anonymous).toMatchObject({ retryable: false });
    expect(anonymous.message).toContain('554 5.7.1');
    const { ca: _, ...untrusted } = server();
    const tls = await failure(new EmailChannel(untrusted).send(to, message('21')));
    expect(tls).toMatchObject({ retryable: false });
    expect(tls.message).toContain('TLS certificate refused (self-signed certificate): check alerts.email.ca');
  });

  // It was read as a passing socket error, tried again for hours, its message two lines long.
  it('TLS from the first byte against a STARTTLS port: refused for good, saying which setting', async () => {
    const error = await failure(new EmailChannel(server({ security: 'tls' })).send(uniqueAddress('tls-port'), message('23')));
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toMatch(/does not speak TLS from the first byte \([^\n]*wrong version number[^\n]*\): for a STARTTLS port/);
  });

  it('a server that does not answer: tried again later', async () => {
    const down = await failure(new EmailChannel(server({ port: 1 })).send(uniqueAddress('down'), message('22')));
    expect(down).toMatchObject({ retryable: true });
    expect(down.message).toContain('ECONNREFUSED');
  });
});

describe('webhooks to a real HTTP receiver', () => {
  const receiver = new WebhookReceiver('the-shared-secret');
  beforeAll(async () => {
    await receiver.start();
    process.env['NOCTURNE_TEST_HOOK_SECRET'] = 'the-shared-secret';
  });
  afterAll(() => receiver.close());
  const channel = () =>
    new WebhookChannel(new Map([['chat', { url: receiver.url, secret: { env: 'NOCTURNE_TEST_HOOK_SECRET' }, timeoutMs: 5_000 }]]), '0.1.0');

  it('POSTs the documented JSON with text, signed with HMAC-SHA256 over timestamp and body', async () => {
    receiver.answer = () => 204;
    await channel().send('chat', message('31'));
    const [got] = receiver.received.slice(-1);
    expect(got!.signed).toBe(true);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['x-nocturne-delivery']).toBe('31');
    expect(got!.headers['x-nocturne-event']).toBe('opened');
    expect(got!.json).toMatchObject({ version: 1, event: 'opened', text: 'stage failed: sdoss/run', delivery: '31', host: 'tycho' });
  });

  it('a receiver with another secret sees a signature that does not match', async () => {
    process.env['NOCTURNE_TEST_HOOK_OTHER'] = 'another-secret';
    receiver.answer = () => 200;
    await new WebhookChannel(
      new Map([['chat', { url: receiver.url, secret: { env: 'NOCTURNE_TEST_HOOK_OTHER' }, timeoutMs: 5_000 }]]),
      '0.1.0',
    ).send('chat', message('32'));
    expect(receiver.received.at(-1)!.signed).toBe(false);
  });

  it("503 and 429 are tried again later; 400 is refused for good; the URL's path (a chat token) is never in the message", async () => {
    for (const [status, retryable] of [
      [503, true],
      [429, true],
      [400, false],
    ] as const) {
      receiver.answer = () => status;
      const error = await failure(channel().send('chat', message('33')));
      expect(error.retryable, String(status)).toBe(retryable);
      expect(error.message).toMatch(new RegExp(`^webhook:chat: POST http://127.0.0.1:\\d+ answered ${status} `));
      expect(error.message).not.toContain('/hooks/');
    }
  });

  // fetch followed a 302 with a GET without the body, and the message counted as delivered.
  it('a redirect is not followed: refused for good, the receiver asked once', async () => {
    receiver.answer = () => 302;
    const before = receiver.received.length;
    const error = await failure(channel().send('chat', message('34')));
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toMatch(
      /answered 302 Found, a redirect, not followed: set alerts\.webhooks\.chat\.url to the address it leads to$/,
    );
    expect(receiver.received.length - before).toBe(1);
  });

  it('an untrusted certificate is refused for good, not tried again for hours', async () => {
    const rig = mailRig();
    const tls = createHttpsServer(
      { cert: readFileSync(rig.ca), key: readFileSync(path.join(path.dirname(rig.ca), 'key.pem')) },
      (_req, res) => res.writeHead(200).end(),
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = tls.address() as { port: number };
      const hook = new WebhookChannel(new Map([['secure', { url: `https://127.0.0.1:${port}/hooks/x`, timeoutMs: 5_000 }]]), '0.1.0');
      const error = await failure(hook.send('secure', message('35')));
      expect(error).toMatchObject({ retryable: false });
      expect(error.message).toMatch(/TLS certificate refused \(\w+\): the receiver must present a certificate this system trusts$/);
    } finally {
      tls.closeAllConnections();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    }
  });
});
