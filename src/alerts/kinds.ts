import type { AlertKind } from '../config/schema.js';

export type { AlertKind };

/** How an incident of each kind is named in messages. */
export const KIND_TITLES: Record<AlertKind, string> = {
  stage_failed: 'stage failed',
  slot_missed: 'slot missed',
  work_failed: 'work failed',
  work_stuck: 'work stuck',
  unreachable: 'unreachable',
  disk_low: 'disk space low',
  host_stopped: 'host stopped',
};

/** The thresholds used where neither config/nocturne.yaml nor the pipeline gives one. */
export const DEFAULTS = {
  slotMissedGrace: '1h',
  workFailedDigestDelay: '10m',
  workFailedUpdateEvery: '1h',
  workStuckAfter: '2h',
  diskLowMinFree: '5%',
  unreachableAfter: '15m',
  databaseAfter: '2m',
  hostStoppedAfter: '5m',
} as const;

/**
 * What tells incidents apart: at most one is open per key. Parts that do not apply are
 * empty strings (the database's unique index treats them as values, not NULLs).
 */
export interface IncidentKey {
  kind: AlertKind;
  pipeline: string;
  stage: string;
  subject: string;
}

export function keyText(key: IncidentKey): string {
  return [key.kind, key.pipeline, key.stage, key.subject].join('|');
}

/** "sdoss/run", "sdoss", or the subject: what an incident is about, for a title. */
export function incidentTarget(key: IncidentKey): string {
  const where = [key.pipeline, key.stage].filter(Boolean).join('/');
  if (key.kind === 'work_failed') return `${where}, night of ${key.subject}`;
  return [where, key.subject].filter(Boolean).join(' ');
}
