import type { Db } from '../db/database.js';
import { destinationsFor, notBeforeFor } from './destinations.js';
import { viewOf, type IncidentRow, type Queryable } from './incident-rows.js';
import { renderMessage, type IncidentView, type MessageEvent } from './messages.js';
import { thresholdsFor, type AlertSettings } from './settings.js';
import type { Opening, Resolution, Verdicts } from './verdicts.js';

/** What applying an evaluation changed. */
export interface Applied {
  opened: IncidentView[];
  resolved: IncidentView[];
}

/** A destination an incident's opening was addressed to, and the routes that sent it there. */
interface Told {
  destination: string;
  routes: string[];
}

const KEY = 'kind = $1 AND pipeline = $2 AND stage = $3 AND subject = $4';

/**
 * Records an evaluation. Opening is idempotent on the open key, so hosts evaluating at
 * once open one incident. `observedAt` is the database time the evaluation's snapshot
 * was read at: an incident resolved after it is not opened again, nor one opened after
 * it resolved, by a host whose view is older than the other's.
 */
export async function applyVerdicts(db: Db, verdicts: Verdicts, observedAt: Date, settings: AlertSettings): Promise<Applied> {
  const applied: Applied = { opened: [], resolved: [] };
  if (verdicts.open.length === 0 && verdicts.resolve.length === 0) return applied;
  await db.tx('alerts-apply', async (tx) => {
    for (const opening of verdicts.open) {
      const row = await upsert(tx, opening, observedAt, settings.host);
      if (row) applied.opened.push(viewOf(row));
    }
    for (const resolution of verdicts.resolve) {
      const row = await resolve(tx, resolution, observedAt, settings);
      if (row) applied.resolved.push(viewOf(row));
    }
  });
  return applied;
}

/** Opens the incident, or refreshes what it says; the row only when it was opened here. */
async function upsert(tx: Queryable, o: Opening, observedAt: Date, host: string): Promise<IncidentRow | null> {
  const row = await tx.oneOrNone<IncidentRow & { inserted: boolean }>(
    `INSERT INTO incidents (kind, pipeline, stage, subject, summary, details, size, opened_by, notify_after)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, now() + $9 * interval '1 millisecond'
      WHERE NOT EXISTS (SELECT 1 FROM incidents WHERE ${KEY} AND resolved_at > $10)
     ON CONFLICT (kind, pipeline, stage, subject) WHERE resolved_at IS NULL
     DO UPDATE SET summary = EXCLUDED.summary, details = EXCLUDED.details, size = EXCLUDED.size, updated_at = now()
      WHERE incidents.summary IS DISTINCT FROM EXCLUDED.summary OR incidents.details IS DISTINCT FROM EXCLUDED.details
         OR incidents.size <> EXCLUDED.size
     RETURNING *, (xmax = 0) AS inserted`,
    [o.kind, o.pipeline, o.stage, o.subject, o.summary, o.details, o.size, host, o.notifyDelayMs, observedAt],
  );
  return row?.inserted ? row : null;
}

/** Resolves the incident and writes its "resolved" messages, cancelling what was not yet sent. */
async function resolve(tx: Queryable, r: Resolution, observedAt: Date, settings: AlertSettings): Promise<IncidentRow | null> {
  const row = await tx.oneOrNone<IncidentRow>(
    `UPDATE incidents SET resolved_at = now(), resolved_by = $5, resolution = $6, updated_at = now()
      WHERE ${KEY} AND resolved_at IS NULL AND opened_at <= $7 RETURNING *`,
    [r.kind, r.pipeline, r.stage, r.subject, settings.host, r.resolution, observedAt],
  );
  if (!row) return null;
  // Not yet sent (quiet hours, a retry's backoff): the resolved message says it all.
  await tx.none(`UPDATE notifications SET state = 'cancelled' WHERE incident_id = $1 AND state = 'due' AND event <> 'resolved'`, [row.id]);
  // Told to whoever the opening was addressed to, sent or held; never announced, never told.
  const told = await tx.any<Told>(`SELECT destination, routes FROM notifications WHERE incident_id = $1 AND event = 'opened'`, [row.id]);
  const now = row.resolved_at!;
  for (const { destination, routes } of told) {
    await writeMessage(tx, row, 'resolved', 0, destination, routes, notBeforeFor(settings, routes, now), settings, now);
  }
  return row;
}

/**
 * Writes the messages that have come due: openings whose notify_after has passed,
 * reminders every remindEvery, and updates of digests that grew. Each is one row per
 * destination under a unique key, so hosts doing this at once write it once.
 */
export async function writeDueMessages(db: Db, settings: AlertSettings): Promise<number> {
  let written = 0;
  await db.tx('alerts-announce', async (tx) => {
    const now = (await tx.one<{ now: Date }>('SELECT now()')).now;
    const due = await tx.any<IncidentRow>(
      `SELECT * FROM incidents WHERE resolved_at IS NULL AND announced_at IS NULL AND notify_after <= now()
        ORDER BY id FOR UPDATE SKIP LOCKED`,
    );
    for (const row of due) {
      for (const d of destinationsFor(settings, row.kind, row.pipeline, now)) {
        written += await writeMessage(tx, row, 'opened', 0, d.destination, d.routes, d.notBefore, settings, now);
      }
      await tx.none('UPDATE incidents SET announced_at = now(), told_size = size WHERE id = $1', [row.id]);
    }
    if (settings.remindEveryMs !== null) written += await writeReminders(tx, settings, settings.remindEveryMs, now);
    written += await writeUpdates(tx, settings, now);
  });
  return written;
}

async function writeReminders(tx: Queryable, settings: AlertSettings, everyMs: number, now: Date): Promise<number> {
  // Reminder n is due n × remindEvery after the opening messages: its number is its key.
  const rows = await tx.any<IncidentRow & { seq: number }>(
    `SELECT i.*, floor(extract(epoch FROM now() - i.announced_at) * 1000 / $1)::int AS seq FROM incidents i
      WHERE i.resolved_at IS NULL AND i.announced_at <= now() - $1 * interval '1 millisecond'
        AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.incident_id = i.id AND n.event = 'reminder'
                          AND n.seq = floor(extract(epoch FROM now() - i.announced_at) * 1000 / $1)::int)`,
    [everyMs],
  );
  let written = 0;
  for (const row of rows) {
    // Not while the first message is held (quiet hours, a retry's backoff): it says it all,
    // and the reminders start remindEvery after it went out.
    const told = await tx.any<Told>(
      `SELECT destination, routes FROM notifications WHERE incident_id = $1 AND event = 'opened'
          AND state IN ('sent', 'failed') AND coalesce(sent_at, created_at) <= now() - $2 * interval '1 millisecond'`,
      [row.id, everyMs],
    );
    // A reminder still held is superseded by the newer one: one leaves when quiet hours end.
    await tx.none(
      `UPDATE notifications SET state = 'cancelled' WHERE incident_id = $1 AND event = 'reminder' AND state = 'due'
          AND seq < $2 AND destination = ANY($3)`,
      [row.id, row.seq, told.map((t) => t.destination)],
    );
    written += await followUp(tx, row, 'reminder', row.seq, told, settings, now);
  }
  return written;
}

/** A digest that grew since its last message gets an update, at most once per updateEvery. */
async function writeUpdates(tx: Queryable, settings: AlertSettings, now: Date): Promise<number> {
  const rows = await tx.any<IncidentRow & { last_message: Date | null }>(
    `SELECT i.*, (SELECT max(created_at) FROM notifications n WHERE n.incident_id = i.id) AS last_message
       FROM incidents i WHERE i.kind = 'work_failed' AND i.resolved_at IS NULL AND i.announced_at IS NOT NULL
        AND i.size > coalesce(i.told_size, 0)`,
  );
  let written = 0;
  for (const row of rows) {
    const delayMs = thresholdsFor(settings, row.pipeline).workFailed.updateEveryMs;
    if (row.last_message && now.getTime() - row.last_message.getTime() < delayMs) continue;
    // Only the host that moves told_size on writes the update.
    const moved = await tx.result('UPDATE incidents SET told_size = size WHERE id = $1 AND told_size IS NOT DISTINCT FROM $2', [
      row.id,
      row.told_size,
    ]);
    if (moved.rowCount !== 1) continue;
    const { seq } = await tx.one<{ seq: number }>(
      `SELECT coalesce(max(seq), 0) + 1 AS seq FROM notifications WHERE incident_id = $1 AND event = 'update'`,
      [row.id],
    );
    const told = await tx.any<Told>(
      `SELECT destination, routes FROM notifications WHERE incident_id = $1 AND event = 'opened' AND state <> 'cancelled'`,
      [row.id],
    );
    written += await followUp(tx, row, 'update', seq, told, settings, now, row.told_size ?? 0);
  }
  return written;
}

/** A reminder or an update, to destinations the incident was opened to. */
async function followUp(
  tx: Queryable,
  row: IncidentRow,
  event: 'reminder' | 'update',
  seq: number,
  told: readonly Told[],
  settings: AlertSettings,
  now: Date,
  previousSize?: number,
): Promise<number> {
  let written = 0;
  for (const { destination, routes } of told) {
    const notBefore = notBeforeFor(settings, routes, now);
    written += await writeMessage(tx, row, event, seq, destination, routes, notBefore, settings, now, previousSize);
  }
  return written;
}

async function writeMessage(
  tx: Queryable,
  row: IncidentRow,
  event: MessageEvent,
  seq: number,
  destination: string,
  routes: readonly string[],
  notBefore: Date,
  settings: AlertSettings,
  now: Date,
  previousSize?: number,
): Promise<number> {
  const message = renderMessage(viewOf(row), event, {
    settings,
    now,
    routes,
    ...(previousSize === undefined ? {} : { previousSize }),
  });
  const result = await tx.result(
    `INSERT INTO notifications (incident_id, event, seq, destination, routes, subject, body, payload, not_before)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
    [row.id, event, seq, destination, [...routes], message.subject, message.body, message.payload, notBefore],
  );
  return result.rowCount;
}
