import { createHmac } from 'node:crypto';
import { resolveSecret } from '../../config/secrets.js';
import { coerceError } from '../../core/errors.js';
import { isCertificateCode } from '../../core/tls-errors.js';
import type { WebhookReceiver } from '../settings.js';
import { deliveryError, type Channel, type OutgoingMessage } from './channel.js';

/** The signature of a webhook body, as receivers check it: HMAC-SHA256 over "<timestamp>.<body>". */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * A JSON POST per message. With a secret, X-Nocturne-Signature authenticates the body
 * and X-Nocturne-Timestamp (signed with it) lets receivers refuse replays;
 * X-Nocturne-Delivery is the same for every try of one message, for receivers that
 * drop repeats. 2xx is delivered; 408, 425, 429, 5xx and network errors are tried
 * again later; any other answer (a redirect included) and a refused certificate are a refusal.
 */
export class WebhookChannel implements Channel {
  readonly #receivers: ReadonlyMap<string, WebhookReceiver>;
  readonly #userAgent: string;

  constructor(receivers: ReadonlyMap<string, WebhookReceiver>, version: string) {
    this.#receivers = receivers;
    this.#userAgent = `nocturne/${version}`;
  }

  async send(name: string, message: OutgoingMessage): Promise<void> {
    const destination = `webhook:${name}`;
    const receiver = this.#receivers.get(name);
    if (!receiver) throw deliveryError(destination, `no webhook "${name}" in alerts.webhooks any more`, false);
    const body = JSON.stringify({ ...message.payload, delivery: message.delivery });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
      'x-nocturne-event': message.event,
      'x-nocturne-delivery': message.delivery,
      'x-nocturne-timestamp': timestamp,
    };
    if (receiver.secret) {
      let secret: string;
      try {
        secret = await resolveSecret(receiver.secret);
      } catch (err) {
        throw deliveryError(destination, coerceError(err).message, true, err);
      }
      headers['x-nocturne-signature'] = webhookSignature(secret, timestamp, body);
    }
    let response: Response;
    try {
      // Not followed: fetch would repeat a 301/302 as a GET without the body (and with the signature), and call it delivered.
      response = await fetch(receiver.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(receiver.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (isCertificateCode(cause?.code)) {
        const why = `POST ${origin(receiver.url)}: TLS certificate refused (${cause?.code}): the receiver must present a certificate this system trusts`;
        throw deliveryError(destination, why, false, err);
      }
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${receiver.timeoutMs} ms`
          : (cause?.message ?? coerceError(err).message);
      throw deliveryError(destination, `POST ${origin(receiver.url)}: ${why}${cause?.code ? ` (${cause.code})` : ''}`, true, err);
    }
    // Read to the end, so the connection can be reused; a little of it says why it was refused.
    const answer = (await response.text().catch(() => '')).slice(0, 300);
    if (response.ok) return;
    if (response.status >= 300 && response.status < 400) {
      const why = `POST ${origin(receiver.url)} answered ${response.status} ${response.statusText}, a redirect, not followed: set alerts.webhooks.${name}.url to the address it leads to`;
      throw deliveryError(destination, why, false);
    }
    const retryable = [408, 425, 429].includes(response.status) || response.status >= 500;
    throw deliveryError(
      destination,
      `POST ${origin(receiver.url)} answered ${response.status} ${response.statusText}${answer ? `: ${answer}` : ''}`,
      retryable,
    );
  }
}

/** Scheme, host and port only: the path of a chat webhook is its secret. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the webhook URL';
  }
}
