import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { backoffMs } from '../core/abort.js';
import { coerceError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { splitDestination } from './channels/channel.js';
import { destinationsFor } from './destinations.js';
import { keyText, type IncidentKey } from './kinds.js';
import { renderMessage, type IncidentView, type Message } from './messages.js';
import type { Channels } from './sender.js';
import type { AlertSettings } from './settings.js';
import type { Verdicts } from './verdicts.js';

interface SpoolDelivery {
  routes: string[];
  notBefore: string;
  sentAt: string | null;
  attempts: number;
  error: string | null;
  /** Given up (refused, or out of tries). */
  failed: boolean;
  /** The incident ended before this was sent: the resolved message says it all. */
  cancelled: boolean;
}

type SpoolEvent = 'opened' | 'resolved';

/** An incident raised while the state database was unreachable, and what was sent of it. */
export interface SpoolEntry {
  /** Random: names its messages (the e-mails' Message-ID) and its file. */
  id: string;
  key: IncidentKey;
  summary: string;
  details: Record<string, unknown>;
  size: number;
  openedAt: string;
  openedBy: string;
  resolvedAt: string | null;
  resolution: string | null;
  messages: Partial<Record<SpoolEvent, Message>>;
  deliveries: Record<string, Partial<Record<SpoolEvent, SpoolDelivery>>>;
}

/**
 * Incidents this host raises while the state database is down (it is unreachable
 * itself, a disk is full...), kept in a directory under paths.state: one JSON file each,
 * replaced atomically after every change. Their messages go out directly through the
 * channels, each recorded in the file right after it was accepted; once the database
 * answers again, the file is recorded there (incident and messages, sent or still due)
 * and removed. A kill between a send and its record costs one repeat, as in the database.
 */
export class Spool {
  readonly #dir: string;
  readonly #logger: Logger;

  constructor(dir: string, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger.child({ spool: dir });
  }

  get dir(): string {
    return this.#dir;
  }

  async entries(): Promise<SpoolEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: SpoolEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      entries.push(JSON.parse(await readFile(path.join(this.#dir, name), 'utf8')) as SpoolEntry);
    }
    return entries;
  }

  /** The keys of the incidents open in the spool. */
  async openKeys(): Promise<IncidentKey[]> {
    return (await this.entries()).filter((e) => e.resolvedAt === null).map((e) => e.key);
  }

  /**
   * Records an evaluation made while the database is down. `known` are the incidents
   * open in the database when it was last read: they were told already, and are left
   * for the database to settle once it is back.
   */
  async apply(verdicts: Verdicts, known: ReadonlySet<string>, settings: AlertSettings, now: Date): Promise<void> {
    const entries = await this.entries();
    const openEntry = (key: IncidentKey) => entries.find((e) => e.resolvedAt === null && keyText(e.key) === keyText(key));
    for (const opening of verdicts.open) {
      const { summary, details, size, notifyDelayMs: _, ...key } = opening;
      const entry = openEntry(key);
      if (entry) {
        Object.assign(entry, { summary, details, size });
        await this.#save(entry);
        continue;
      }
      if (known.has(keyText(key))) continue;
      const fresh: SpoolEntry = {
        id: randomUUID(),
        key,
        summary,
        details,
        size,
        openedAt: now.toISOString(),
        openedBy: settings.host,
        resolvedAt: null,
        resolution: null,
        messages: {},
        deliveries: {},
      };
      for (const d of destinationsFor(settings, key.kind, key.pipeline, now)) {
        fresh.deliveries[d.destination] = { opened: pending(d.routes, d.notBefore) };
      }
      fresh.messages.opened = this.#render(fresh, 'opened', settings, now);
      this.#logger.warn({ incident: keyText(key), summary }, 'incident raised while the state database is unreachable: kept in the spool');
      await this.#save(fresh);
    }
    for (const resolution of verdicts.resolve) {
      const entry = openEntry(resolution);
      if (!entry) continue;
      entry.resolvedAt = now.toISOString();
      entry.resolution = resolution.resolution;
      for (const delivery of Object.values(entry.deliveries)) {
        const opened = delivery.opened!;
        if (opened.sentAt === null && !opened.failed) opened.cancelled = true;
        delivery.resolved = pending(opened.routes, now);
      }
      entry.messages.resolved = this.#render(entry, 'resolved', settings, now);
      await this.#save(entry);
    }
  }

  /** Sends what is due of the spooled incidents, recording each send before the next. */
  async deliverDue(channels: Channels, settings: AlertSettings, now: Date): Promise<number> {
    let sent = 0;
    for (const entry of await this.entries()) {
      for (const [destination, events] of Object.entries(entry.deliveries)) {
        for (const event of ['opened', 'resolved'] as const) {
          const delivery = events[event];
          const message = entry.messages[event];
          if (!delivery || !message || delivery.sentAt || delivery.failed || delivery.cancelled) continue;
          if (new Date(delivery.notBefore) > now) continue;
          const [kind, address] = splitDestination(destination);
          delivery.attempts += 1;
          try {
            const channel = channels[kind];
            if (!channel) throw coerceError(`no ${kind} channel is configured`, 'ALERT_DELIVERY_FAILED');
            await channel.send(address, {
              delivery: `spool-${entry.id}-${event}`,
              event,
              incident: null,
              subject: message.subject,
              body: message.body,
              payload: message.payload,
            });
            delivery.sentAt = new Date().toISOString();
            delivery.error = null;
            sent++;
            this.#logger.info({ destination, event, incident: keyText(entry.key) }, 'alert message sent from the spool');
          } catch (err) {
            const error = coerceError(err, 'ALERT_DELIVERY_FAILED', destination);
            delivery.error = error.message;
            delivery.failed = !error.retryable || delivery.attempts >= settings.retry.attempts;
            const wait = backoffMs(delivery.attempts, settings.retry.firstMs, settings.retry.maxMs);
            delivery.notBefore = new Date(now.getTime() + wait).toISOString();
            this.#logger[delivery.failed ? 'error' : 'warn'](
              { err: error, destination, event },
              'alert message from the spool not delivered',
            );
          }
          await this.#save(entry);
        }
      }
    }
    return sent;
  }

  /**
   * Records every spooled incident in the database, with its messages (sent ones as
   * sent, the others due for the database's sender), then removes its file. Done again
   * after a kill between the two, it finds the incident it recorded and adds nothing.
   */
  async flush(db: Db, settings: AlertSettings): Promise<number> {
    const entries = await this.entries();
    for (const entry of entries) {
      await db.tx('alerts-spool-flush', async (tx) => {
        const k = entry.key;
        const keyArgs = [k.kind, k.pipeline, k.stage, k.subject];
        const same = 'kind = $1 AND pipeline = $2 AND stage = $3 AND subject = $4';
        let id = (
          await tx.oneOrNone<{ id: string }>(`SELECT id FROM incidents WHERE ${same} AND opened_at = $5 AND opened_by = $6`, [
            ...keyArgs,
            entry.openedAt,
            entry.openedBy,
          ])
        )?.id;
        if (id === undefined) {
          const open = await tx.oneOrNone<{ id: string }>(
            `SELECT id FROM incidents WHERE ${same} AND resolved_at IS NULL FOR UPDATE`,
            keyArgs,
          );
          id =
            open?.id ??
            (
              await tx.one<{ id: string }>(
                `INSERT INTO incidents (kind, pipeline, stage, subject, summary, details, size, told_size, opened_at, opened_by,
                                        notify_after, announced_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $8, now()) RETURNING id`,
                [...keyArgs, entry.summary, entry.details, entry.size, entry.openedAt, entry.openedBy],
              )
            ).id;
        }
        if (entry.resolvedAt) {
          await tx.none(`UPDATE incidents SET resolved_at = $2, resolved_by = $3, resolution = $4 WHERE id = $1 AND resolved_at IS NULL`, [
            id,
            entry.resolvedAt,
            entry.openedBy,
            entry.resolution,
          ]);
        }
        for (const [destination, events] of Object.entries(entry.deliveries)) {
          for (const event of ['opened', 'resolved'] as const) {
            const d = events[event];
            const message = entry.messages[event];
            if (!d || !message) continue;
            const state = d.cancelled ? 'cancelled' : d.sentAt ? 'sent' : d.failed ? 'failed' : 'due';
            await tx.none(
              `INSERT INTO notifications (incident_id, event, destination, routes, subject, body, payload, state, not_before,
                                          attempts, claimed_by, sent_at, error)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,
              [
                id,
                event,
                destination,
                d.routes,
                message.subject,
                message.body,
                message.payload,
                state,
                d.notBefore,
                d.attempts,
                d.sentAt ? settings.host : null,
                d.sentAt,
                d.error,
              ],
            );
          }
        }
      });
      await rm(this.#file(entry), { force: true });
      this.#logger.info({ incident: keyText(entry.key) }, 'spooled incident recorded in the state database');
    }
    return entries.length;
  }

  #render(entry: SpoolEntry, event: SpoolEvent, settings: AlertSettings, now: Date): Message {
    const view: IncidentView = {
      ...entry.key,
      id: null,
      summary: entry.summary,
      details: entry.details,
      size: entry.size,
      openedAt: new Date(entry.openedAt),
      openedBy: entry.openedBy,
      resolvedAt: entry.resolvedAt ? new Date(entry.resolvedAt) : null,
      resolution: entry.resolution,
    };
    const routes = [...new Set(Object.values(entry.deliveries).flatMap((d) => d.opened?.routes ?? []))];
    return renderMessage(view, event, { settings, now, routes });
  }

  #file(entry: SpoolEntry): string {
    const hash = createHash('sha256').update(keyText(entry.key)).digest('hex').slice(0, 16);
    return path.join(this.#dir, `${hash}-${entry.id}.json`);
  }

  /** Written to a temporary name, flushed to disk, then renamed over the old file. */
  async #save(entry: SpoolEntry): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const file = this.#file(entry);
    const temp = `${file}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(entry, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function pending(routes: string[], notBefore: Date): SpoolDelivery {
  return { routes, notBefore: notBefore.toISOString(), sentAt: null, attempts: 0, error: null, failed: false, cancelled: false };
}
