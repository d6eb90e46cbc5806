import { EventEmitter } from 'node:events';
import { backoffMs } from '../core/abort.js';
import { coerceError, type NocturneError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { pidNamespace, processAlive } from '../runs/holder.js';
import { splitDestination, type Channel, type OutgoingMessage } from './channels/channel.js';
import type { MessageEvent, WebhookPayload } from './messages.js';
import type { AlertSettings } from './settings.js';

/**
 * A claim older than this is taken over whatever its claimant: longer than any send
 * may take (the e-mail and webhook deadlines are far shorter).
 */
export const CLAIM_TIMEOUT_MS = 5 * 60_000;
const BATCH = 50;
const PARALLEL = 4;

/** The channels by destination kind ("email", "webhook"). */
export type Channels = Partial<Record<string, Channel>>;

export interface DeliveryEvent {
  id: number;
  incident: number;
  event: MessageEvent;
  destination: string;
}

export interface SenderEvents {
  sent: [DeliveryEvent];
  /** `final`: given up (refused, or out of tries); else tried again after `retryInMs`. */
  failed: [DeliveryEvent & { error: NocturneError; final: boolean; retryInMs?: number }];
}

/** Messages this process is sending: a claim with our own pid not in here is a predecessor's (a container restarted as pid 1). */
const inFlightHere = new Set<number>();

interface ClaimedRow {
  id: string;
  incident_id: string;
  event: MessageEvent;
  destination: string;
  subject: string;
  body: string;
  payload: WebhookPayload;
  attempts: number;
  /** When the message was written, in microseconds since 1970: with the id, what names it (deliveryOf). */
  created_us: string;
}

/**
 * What names a message for whoever drops repeats (Message-ID, X-Nocturne-Delivery): the
 * same for every try, and unlike the bare id, not the same for another install's (another
 * state database, or one rebuilt) message of that id, which a receiver would drop.
 */
export function deliveryOf(id: number, createdMicros: bigint): string {
  return `${id}-${createdMicros.toString(36)}`;
}

/**
 * Sends the messages that are due, each claimed first in the database (SKIP LOCKED), so
 * that two hosts never send the same one; a claim is recorded before the send and the
 * outcome after it. A claimant killed between sending and recording leaves a claim that
 * is taken over (at once from the same pid namespace when its pid is gone, else after
 * CLAIM_TIMEOUT_MS), and that message is sent once more: at most one duplicate per kill.
 */
export class MessageSender {
  readonly events = new EventEmitter<SenderEvents>();
  readonly #db: Db;
  #channels: Channels;
  readonly #logger: Logger;
  #settings: AlertSettings;

  constructor(db: Db, settings: AlertSettings, channels: Channels, logger: Logger) {
    this.#db = db;
    this.#settings = settings;
    this.#channels = channels;
    this.#logger = logger;
  }

  set settings(settings: AlertSettings) {
    this.#settings = settings;
  }

  set channels(channels: Channels) {
    this.#channels = channels;
  }

  /** Sends every message due now; resolves when each has been sent or rescheduled. */
  async sendDue(): Promise<{ sent: number; failed: number }> {
    await this.#releaseDeadClaims();
    const tally = { sent: 0, failed: 0 };
    for (;;) {
      const rows = await this.#claim();
      if (rows.length === 0) return tally;
      const queue = [...rows];
      const worker = async () => {
        for (let row = queue.shift(); row; row = queue.shift()) {
          if (await this.#deliver(row)) tally.sent++;
          else tally.failed++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, rows.length) }, worker));
    }
  }

  /** Claims of processes of our pid namespace that no longer exist: due again at once. */
  async #releaseDeadClaims(): Promise<void> {
    const holder = pidNamespace();
    if (holder === null) return;
    // claimed_at as text: a Date would lose its microseconds, and the claim its identity.
    const claims = await this.#db.any<{ id: string; claimed_pid: number; claimed_at: string }>(
      `SELECT id, claimed_pid, claimed_at::text FROM notifications WHERE state = 'sending' AND claimed_holder = $1`,
      [holder],
    );
    for (const claim of claims) {
      const gone = claim.claimed_pid === process.pid ? !inFlightHere.has(Number(claim.id)) : !processAlive(claim.claimed_pid);
      if (!gone) continue;
      const released = await this.#db.result(
        `UPDATE notifications SET state = 'due', not_before = now()
          WHERE id = $1 AND state = 'sending' AND claimed_pid = $2 AND claimed_at = $3::timestamptz`,
        [claim.id, claim.claimed_pid, claim.claimed_at],
      );
      if (released.rowCount === 1) {
        this.#logger.warn(
          { notification: Number(claim.id), pid: claim.claimed_pid },
          'a message claimed by a process that is gone is due again (it may have been sent before the process died)',
        );
      }
    }
  }

  async #claim(): Promise<ClaimedRow[]> {
    const rows = await this.#db.any<ClaimedRow>(
      `UPDATE notifications SET state = 'sending', claimed_by = $1, claimed_pid = $2, claimed_holder = $3,
              claimed_at = now(), attempts = attempts + 1
        WHERE id IN (SELECT id FROM notifications
                      WHERE (state = 'due' AND not_before <= now())
                         OR (state = 'sending' AND claimed_at < now() - $4 * interval '1 millisecond')
                      ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED)
        RETURNING id, incident_id, event, destination, subject, body, payload, attempts,
                  (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us`,
      [this.#settings.host, process.pid, pidNamespace(), CLAIM_TIMEOUT_MS, BATCH],
    );
    for (const row of rows) inFlightHere.add(Number(row.id));
    return rows;
  }

  async #deliver(row: ClaimedRow): Promise<boolean> {
    try {
      return await this.#send(row);
    } finally {
      // Only once the outcome is recorded: until then the claim is ours and alive.
      inFlightHere.delete(Number(row.id));
    }
  }

  async #send(row: ClaimedRow): Promise<boolean> {
    const id = Number(row.id);
    const info: DeliveryEvent = { id, incident: Number(row.incident_id), event: row.event, destination: row.destination };
    const log = this.#logger.child({ notification: id, incident: info.incident, destination: row.destination, event: row.event });
    try {
      const [kind, address] = splitDestination(row.destination);
      const channel = this.#channels[kind];
      if (!channel) {
        throw coerceError(`no ${kind} channel is configured (alerts.${kind === 'email' ? 'email' : 'webhooks'})`, 'ALERT_DELIVERY_FAILED');
      }
      const message: OutgoingMessage = {
        delivery: deliveryOf(id, BigInt(row.created_us)),
        event: row.event,
        incident: info.incident,
        subject: row.subject,
        body: row.body,
        payload: row.payload,
      };
      await channel.send(address, message);
    } catch (err) {
      const error = coerceError(err, 'ALERT_DELIVERY_FAILED', row.destination);
      await this.#failed(row, info, error, log);
      return false;
    }
    // Only our own claim is closed: a host that took it over meanwhile (we were too slow) records its own.
    const recorded = await this.#db.result(
      `UPDATE notifications SET state = 'sent', sent_at = now(), error = NULL
        WHERE id = $1 AND state = 'sending' AND claimed_pid = $2 AND claimed_by = $3`,
      [id, process.pid, this.#settings.host],
    );
    if (recorded.rowCount !== 1) log.warn('message sent, but its claim had been taken over: it may be sent twice');
    log.info({ subject: row.subject }, 'alert message sent');
    this.events.emit('sent', info);
    return true;
  }

  async #failed(row: ClaimedRow, info: DeliveryEvent, error: NocturneError, log: Logger): Promise<void> {
    const { attempts, firstMs, maxMs } = this.#settings.retry;
    const final = !error.retryable || row.attempts >= attempts;
    const retryInMs = final ? undefined : backoffMs(row.attempts, firstMs, maxMs);
    await this.#db.none(
      `UPDATE notifications SET state = $2, error = $3, not_before = now() + $4 * interval '1 millisecond'
        WHERE id = $1 AND state = 'sending' AND claimed_pid = $5`,
      [info.id, final ? 'failed' : 'due', error.message, retryInMs ?? 0, process.pid],
    );
    if (final) log.error({ err: error, attempts: row.attempts }, 'alert message NOT delivered: given up');
    else log.warn({ err: error, attempts: row.attempts, retryInMs }, 'alert message not delivered: trying again later');
    this.events.emit('failed', { ...info, error, final, ...(retryInMs === undefined ? {} : { retryInMs }) });
  }
}
