import { NocturneError } from '../../core/errors.js';
import type { MessageEvent, WebhookPayload } from '../messages.js';

/** One message ready to go out. */
export interface OutgoingMessage {
  /** Identity of this message in the ledger (notifications.id, or the spool's): kept by every retry. */
  delivery: string;
  event: MessageEvent | 'test';
  incident: number | null;
  subject: string;
  body: string;
  payload: WebhookPayload;
}

/**
 * Delivers messages to destinations of one kind ("email:...", "webhook:..."). Fails
 * with ALERT_DELIVERY_FAILED, retryable when trying again later may succeed.
 */
export interface Channel {
  send(address: string, message: OutgoingMessage): Promise<void>;
}

export function deliveryError(destination: string, why: string, retryable: boolean, cause?: unknown): NocturneError {
  return new NocturneError('ALERT_DELIVERY_FAILED', `${destination}: ${why}`, { retryable, cause });
}

/** "email:ops@x" → ["email", "ops@x"]. */
export function splitDestination(destination: string): [string, string] {
  const colon = destination.indexOf(':');
  return [destination.slice(0, colon), destination.slice(colon + 1)];
}
