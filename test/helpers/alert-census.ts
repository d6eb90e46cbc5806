/**
 * The alert messages of a night, counted from the Maildir they reached, against the
 * incidents the state database recorded: for the fault suite's summary and checks. Pure
 * over what was read, so a unit test can feed it.
 */
import { incidentTarget, KIND_TITLES, type AlertKind } from '../../src/alerts/kinds.js';
import { mailRig } from './mail-rig.js';
import type { MailMessage } from './maildir.js';

/** An incident as the census needs it (a row of nocturne.incidents). */
export interface CensusIncident {
  kind: string;
  pipeline: string;
  stage: string;
  subject: string;
  resolved: boolean;
  /**
   * Its opening message: written (sent, or still to send), cancelled unsent because the
   * incident was resolved first (the resolved message, saying when it opened, is then its
   * only one: docs/operating.md, "Quiet hours"), or never written (resolved before it was
   * due: no message at all).
   */
  opening: 'written' | 'cancelled' | 'none';
}

export interface IncidentCount {
  /** The subject line without "[nocturne] ", its event word and its item count: the incident's title. */
  title: string;
  /** Distinct messages (by Message-ID). */
  opened: number;
  resolved: number;
  updates: number;
  reminders: number;
}

/** A failure class the night injects, and how many incidents it must raise. */
export interface FailureClass {
  label: string;
  match: (incident: CensusIncident) => boolean;
  /** Deterministic classes (bad input) must be told: atLeast 1; an outage may end before an evaluation sees it. */
  atLeast: number;
  atMost: number;
}

export interface Census {
  incidents: IncidentCount[];
  /** Incidents recorded per failure class. */
  classes: { label: string; incidents: number }[];
  /**
   * Copies of a message beyond the first (same Message-ID), and openings that went out
   * although recorded as cancelled: a kill between send and record.
   */
  duplicates: number;
  messages: number;
  violations: string[];
}

const EVENTS = { 'RESOLVED ': 'resolved', 'UPDATE ': 'update', 'REMINDER ': 'reminder' } as const;

/** The title messages give an incident (messages.ts: "<kind title>: <what>"). */
export function titleOf(i: Omit<CensusIncident, 'resolved'>): string {
  return `${KIND_TITLES[i.kind as AlertKind] ?? i.kind}: ${incidentTarget({ ...i, kind: i.kind as AlertKind })}`;
}

/**
 * Counts the messages per incident and checks them against the recorded incidents: each
 * incident announced by exactly one distinct message (unless resolved before its opening
 * went out), each resolved one that was told closed by exactly one, none closed that is
 * open, and at most `duplicateBound` repeated copies.
 * Each failure class must have raised between its atLeast and atMost incidents.
 */
export function alertCensus(
  messages: readonly MailMessage[],
  incidents: readonly CensusIncident[],
  duplicateBound: number,
  failureClasses: readonly FailureClass[] = [],
): Census {
  const seen = new Set<string>();
  let duplicates = 0;
  const counts = new Map<string, IncidentCount>();
  for (const m of messages) {
    if (seen.has(m.messageId)) {
      duplicates++;
      continue;
    }
    seen.add(m.messageId);
    let title = m.subject.replace(/^\[nocturne\] /, '').replace(/ \(\d+ items\)$/, '');
    let event: 'opened' | 'resolved' | 'update' | 'reminder' = 'opened';
    for (const [prefix, e] of Object.entries(EVENTS)) {
      if (title.startsWith(prefix)) {
        title = title.slice(prefix.length);
        event = e;
      }
    }
    let count = counts.get(title);
    if (!count) counts.set(title, (count = { title, opened: 0, resolved: 0, updates: 0, reminders: 0 }));
    if (event === 'opened') count.opened++;
    else if (event === 'resolved') count.resolved++;
    else if (event === 'update') count.updates++;
    else count.reminders++;
  }
  const violations: string[] = [];
  const byTitle = new Map<string, CensusIncident[]>();
  for (const i of incidents) byTitle.set(titleOf(i), [...(byTitle.get(titleOf(i)) ?? []), i]);
  for (const [title, recorded] of byTitle) {
    const c = counts.get(title);
    const opened = recorded.filter((i) => i.opening === 'written').length;
    const cancelled = recorded.filter((i) => i.opening === 'cancelled').length;
    const resolved = recorded.filter((i) => i.resolved && i.opening !== 'none').length;
    const overtaken = recorded.filter((i) => !i.resolved && i.opening !== 'written').length;
    // A cancelled opening may still have gone out once: sent just before a kill, not yet
    // recorded as sent (by the sender or the spool), then cancelled by the resolution
    // before it was sent again. Such a copy counts against the bound, as a repeat does.
    const unrecorded = Math.min(cancelled, Math.max(0, (c?.opened ?? 0) - opened));
    duplicates += unrecorded;
    if ((c?.opened ?? 0) - unrecorded !== opened) {
      violations.push(`alerts: ${title}: ${c?.opened ?? 0} opening message(s) for ${opened} incident(s)`);
    }
    if ((c?.resolved ?? 0) !== resolved) {
      violations.push(`alerts: ${title}: ${c?.resolved ?? 0} "resolved" message(s) for ${resolved} resolved incident(s)`);
    }
    if (overtaken > 0) violations.push(`alerts: ${title}: ${overtaken} open incident(s) with no opening message written`);
  }
  for (const title of counts.keys()) {
    if (!byTitle.has(title)) violations.push(`alerts: a message about "${title}", which no incident records`);
  }
  const classes = failureClasses.map((c) => ({ label: c.label, incidents: incidents.filter(c.match).length }));
  failureClasses.forEach((c, i) => {
    const n = classes[i]!.incidents;
    if (n < c.atLeast || n > c.atMost) {
      violations.push(
        `alerts: ${c.label}: ${n} incident(s), expected ${c.atLeast === c.atMost ? c.atLeast : `${c.atLeast} to ${c.atMost}`}`,
      );
    }
  });
  for (const i of incidents) {
    if (failureClasses.length > 0 && !failureClasses.some((c) => c.match(i))) {
      violations.push(`alerts: incident "${titleOf(i)}" is of no injected failure class`);
    }
  }
  if (duplicates > duplicateBound) {
    violations.push(`alerts: ${duplicates} duplicate message(s), more than the bound of ${duplicateBound} (one per kill)`);
  }
  return {
    incidents: [...counts.values()].sort((a, b) => a.title.localeCompare(b.title)),
    classes,
    duplicates,
    messages: messages.length,
    violations,
  };
}

/** One line for the fault suite's summary table. */
export function formatCensus(c: Census, bound: number): string {
  const opened = c.incidents.reduce((n, i) => n + i.opened, 0);
  const resolved = c.incidents.reduce((n, i) => n + i.resolved, 0);
  const updates = c.incidents.reduce((n, i) => n + i.updates, 0);
  const classes = c.classes.map((k) => `${k.label} ${k.incidents}`).join(', ');
  return `${c.messages} in the Maildir: ${opened} opened (one per incident), ${resolved} resolved, ${updates} digest updates, ${c.duplicates} duplicates (bound ${bound}, one per kill); incidents per class: ${classes}`;
}

/**
 * The alerts section of a fault night: the failure classes the suite injects, told to
 * `to` through the rig's postfix. Digests (failed codes, truncated JPEGs, bad CSVs) and
 * outages (targets, the database) only: kills restart the one host, so host, slot and
 * stage incidents would measure the suite, not the failures.
 */
export function faultNightAlerts(to: string, now = new Date()): Record<string, unknown> {
  const rig = mailRig();
  // The night's digests must not be split at the night boundary: put it 12 hours away.
  const boundary = new Date(now.getTime() + 12 * 3_600_000).toISOString().slice(11, 16);
  return {
    evaluateEvery: '1s',
    nightStartsAt: boundary,
    email: { host: rig.host, port: rig.port, ca: rig.ca, from: `nocturne@${rig.domain}` },
    routes: { night: { email: [to] } },
    stageFailed: { enabled: false },
    slotMissed: { enabled: false },
    workStuck: { enabled: false },
    diskLow: { enabled: false },
    hostStopped: { enabled: false },
    workFailed: { digestDelay: '20s', updateEvery: '60s' },
    unreachable: { after: '0s', databaseAfter: '0s' },
  };
}
