import { readFile } from 'node:fs/promises';
import { resolveSecret } from '../../config/secrets.js';
import { coerceError } from '../../core/errors.js';
import type { EmailServer } from '../settings.js';
import { deliveryError, type Channel, type OutgoingMessage } from './channel.js';

/** Connection-level failures, worth another try later. */
const TRANSIENT = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const CERTIFICATE = /certificate|CERT_|self.signed/i;

/**
 * E-mail through the site's SMTP server with nodemailer: STARTTLS required (or TLS from
 * the start), the server's certificate checked (against `ca` when given), SMTP AUTH when
 * a user is configured, the password read from its secret reference at each send.
 */
export class EmailChannel implements Channel {
  readonly #server: EmailServer;

  constructor(server: EmailServer) {
    this.#server = server;
  }

  async send(address: string, message: OutgoingMessage): Promise<void> {
    const server = this.#server;
    const destination = `email:${address}`;
    let ca: Buffer | undefined;
    let pass: string | undefined;
    try {
      ca = server.ca === undefined ? undefined : await readFile(server.ca);
      pass = server.password === undefined ? undefined : await resolveSecret(server.password);
    } catch (err) {
      throw deliveryError(destination, coerceError(err).message, true, err);
    }
    // Loaded at the first e-mail: a daemon that sends none (most nights) does without it.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: server.host,
      port: server.port,
      secure: server.security === 'tls',
      requireTLS: server.security === 'starttls',
      ...(server.user === undefined ? {} : { auth: { user: server.user, pass: pass ?? '' } }),
      tls: ca === undefined ? {} : { ca },
      connectionTimeout: server.timeoutMs,
      greetingTimeout: server.timeoutMs,
      socketTimeout: server.timeoutMs,
    });
    const domain = server.from.slice(server.from.lastIndexOf('@') + 1);
    try {
      await transport.sendMail({
        from: server.from,
        to: address,
        subject: message.subject,
        text: message.body,
        // The same for every try of this message: mail clients and people can tell a repeat.
        messageId: `<nocturne.${message.delivery}@${domain}>`,
        headers: {
          'Auto-Submitted': 'auto-generated',
          'X-Nocturne-Event': message.event,
          'X-Nocturne-Delivery': message.delivery,
          ...(message.incident === null ? {} : { 'X-Nocturne-Incident': String(message.incident) }),
        },
      });
    } catch (err) {
      throw classify(destination, server, err);
    } finally {
      transport.close();
    }
  }
}

function classify(destination: string, server: EmailServer, err: unknown): Error {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const text = e.message ?? String(err);
  const where = `SMTP ${server.host}:${server.port}`;
  if (typeof e.responseCode === 'number') {
    // 4xx: try again later (RFC 5321); 5xx: refused for good (a bad address, a bad password).
    const why =
      e.code === 'EAUTH' ? `${where} refused the login (${text}): check alerts.email.user and password` : `${where} replied ${text}`;
    return deliveryError(destination, why, e.responseCode < 500, err);
  }
  if (CERTIFICATE.test(text)) {
    return deliveryError(destination, `${where}: TLS certificate refused (${text}): check alerts.email.ca`, false, err);
  }
  if (/wrong version number/i.test(text)) {
    const why = `${where} does not speak TLS from the first byte (${oneLine(text)}): for a STARTTLS port (587, 25) leave alerts.email.security at its default`;
    return deliveryError(destination, why, false, err);
  }
  if (e.code === 'ETLS' || /STARTTLS/i.test(text)) {
    return deliveryError(destination, `${where} did not offer STARTTLS (${text}): nocturne sends no mail in clear`, false, err);
  }
  return deliveryError(destination, `${where}: ${text}${e.code ? ` (${e.code})` : ''}`, e.code === undefined || TRANSIENT.has(e.code), err);
}

/** OpenSSL's messages end with a line break and the socket's name: one line in a log or a mail. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
