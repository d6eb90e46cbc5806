import type { ITask } from 'pg-promise';
import type { Db } from '../db/database.js';
import type { AlertKind } from './kinds.js';
import type { IncidentView } from './messages.js';

/** A row of incidents as pg returns it. */
export interface IncidentRow {
  id: string | number;
  kind: AlertKind;
  pipeline: string;
  stage: string;
  subject: string;
  summary: string;
  details: Record<string, unknown>;
  size: number;
  told_size: number | null;
  opened_at: Date;
  opened_by: string;
  notify_after: Date;
  announced_at: Date | null;
  updated_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution: string | null;
}

export type Queryable = Db | ITask<unknown>;

export function viewOf(row: IncidentRow): IncidentView {
  return {
    id: Number(row.id),
    kind: row.kind,
    pipeline: row.pipeline,
    stage: row.stage,
    subject: row.subject,
    summary: row.summary,
    details: row.details,
    size: Number(row.size),
    openedAt: row.opened_at,
    openedBy: row.opened_by,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
  };
}

/** An incident as `nocturne incidents` and /api/incidents show it. */
export interface IncidentListing {
  id: number;
  kind: AlertKind;
  pipeline: string | null;
  stage: string | null;
  subject: string | null;
  summary: string;
  size: number;
  openedAt: string;
  openedBy: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
  /** Messages by state: {"sent": 2, "due": 1}. */
  messages: Record<string, number>;
}

/** Incidents, newest first: only the open ones, or the latest `limit`. */
export async function listIncidents(db: Queryable, query: { open: boolean; limit: number }): Promise<IncidentListing[]> {
  const rows = await db.any<IncidentRow & { messages: Record<string, number> | null; resolved_by: string | null }>(
    `SELECT i.*, (SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*)::int AS n FROM notifications
                   WHERE incident_id = i.id GROUP BY state) m) AS messages
       FROM incidents i WHERE ($1 = false OR i.resolved_at IS NULL) ORDER BY i.opened_at DESC, i.id DESC LIMIT $2`,
    [query.open, query.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    pipeline: r.pipeline || null,
    stage: r.stage || null,
    subject: r.subject || null,
    summary: r.summary,
    size: Number(r.size),
    openedAt: r.opened_at.toISOString(),
    openedBy: r.opened_by,
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
    messages: r.messages ?? {},
  }));
}
