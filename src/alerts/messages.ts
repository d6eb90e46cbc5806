import { incidentTarget, KIND_TITLES, type IncidentKey } from './kinds.js';
import { localText, spanText } from './local-time.js';
import type { AlertSettings } from './settings.js';

export type MessageEvent = 'opened' | 'update' | 'reminder' | 'resolved';

/** An incident as messages describe it. */
export interface IncidentView extends IncidentKey {
  /** null while it lives only in this host's spool (the database was down). */
  id: number | null;
  summary: string;
  details: Record<string, unknown>;
  size: number;
  openedAt: Date;
  openedBy: string;
  resolvedAt: Date | null;
  resolution: string | null;
}

/**
 * The JSON body of a webhook POST (documented in docs/operating.md). `text` is the
 * message for people, which Slack and Mattermost show as it is.
 */
export interface WebhookPayload {
  version: 1;
  event: MessageEvent | 'test';
  text: string;
  incident: {
    id: number | null;
    kind: string;
    pipeline: string | null;
    stage: string | null;
    subject: string | null;
    summary: string;
    size: number;
    details: Record<string, unknown>;
    openedAt: string;
    openedBy: string;
    resolvedAt: string | null;
    resolution: string | null;
  } | null;
  link: string | null;
  host: string;
  routes: string[];
}

export interface Message {
  subject: string;
  body: string;
  payload: WebhookPayload;
}

export interface MessageContext {
  settings: AlertSettings;
  /** When the message is written. */
  now: Date;
  routes: readonly string[];
  /** For an update: the size told in the previous message. */
  previousSize?: number;
}

const PREFIX: Record<MessageEvent, string> = { opened: '', update: 'UPDATE ', reminder: 'REMINDER ', resolved: 'RESOLVED ' };
/** Items listed in a chat message; the e-mail lists them all (up to ITEMS_LISTED). */
const CHAT_ITEMS = 20;

/** The e-mail and webhook renderings of one message about one incident. */
export function renderMessage(incident: IncidentView, event: MessageEvent, ctx: MessageContext): Message {
  const { settings } = ctx;
  const tz = settings.timezone;
  const title = `${KIND_TITLES[incident.kind]}: ${incidentTarget(incident)}`;
  const subject = `[nocturne] ${PREFIX[event]}${title}${incident.size > 1 ? ` (${incident.size} items)` : ''}`;
  const link = linkFor(incident, settings);
  const lead = leadLine(incident, event, ctx);
  const list = itemLines(incident, tz);
  const facts = [
    `Opened:   ${localText(incident.openedAt, tz)}, noticed by ${incident.openedBy}`,
    ...(incident.resolvedAt
      ? [
          `Resolved: ${localText(incident.resolvedAt, tz)} after ${spanText(incident.resolvedAt.getTime() - incident.openedAt.getTime())}: ${incident.resolution ?? ''}`,
        ]
      : []),
    ...runLine(incident),
    `Incident: ${incident.id ?? '(not yet recorded: the state database was unreachable)'}; \`nocturne incidents\` lists them`,
    ...(link ? [`Link:     ${link}`] : []),
  ];
  const footer = `Sent by nocturne on ${settings.host} through route${ctx.routes.length === 1 ? '' : 's'} ${ctx.routes.join(', ')} of config/nocturne.yaml.`;
  const body = [lead, '', ...(list.length > 0 ? [...list, ''] : []), ...facts, '', footer, ''].join('\n');
  const chatList = list.length > CHAT_ITEMS ? [...list.slice(0, CHAT_ITEMS), `… and ${list.length - CHAT_ITEMS} more`] : list;
  const text = [`${PREFIX[event]}${title}`, lead, ...chatList, ...(link ? [link] : [])].join('\n');
  return {
    subject,
    body,
    payload: {
      version: 1,
      event,
      text,
      incident: {
        id: incident.id,
        kind: incident.kind,
        pipeline: incident.pipeline || null,
        stage: incident.stage || null,
        subject: incident.subject || null,
        summary: incident.summary,
        size: incident.size,
        details: incident.details,
        openedAt: incident.openedAt.toISOString(),
        openedBy: incident.openedBy,
        resolvedAt: incident.resolvedAt?.toISOString() ?? null,
        resolution: incident.resolution,
      },
      link,
      host: settings.host,
      routes: [...ctx.routes],
    },
  };
}

/** The message `nocturne alerts test` sends through each destination of a route. */
export function testMessage(route: string, settings: AlertSettings, at: Date): Message {
  const when = localText(at, settings.timezone);
  const lead = `This is a test of route ${route}, sent by \`nocturne alerts test\` on ${settings.host} at ${when}. Nothing is wrong.`;
  const link = settings.baseUrl ? `${settings.baseUrl}/` : null;
  return {
    subject: `[nocturne] test of route ${route}`,
    body: [lead, '', ...(link ? [`Link: ${link}`, ''] : [])].join('\n'),
    payload: { version: 1, event: 'test', text: lead, incident: null, link, host: settings.host, routes: [route] },
  };
}

function leadLine(incident: IncidentView, event: MessageEvent, ctx: MessageContext): string {
  switch (event) {
    case 'opened':
      return incident.summary;
    case 'update': {
      const before = ctx.previousSize ?? 0;
      return `${incident.summary} (${incident.size - before} more since the last message)`;
    }
    case 'reminder':
      return `Still open after ${spanText(ctx.now.getTime() - incident.openedAt.getTime())}: ${incident.summary}`;
    case 'resolved':
      return `Resolved: ${incident.resolution ?? 'over'}. It was: ${incident.summary}`;
  }
}

/** The items of a digest or of stuck work, one per line. */
function itemLines(incident: IncidentView, timezone: string): string[] {
  const items = incident.details['items'];
  if (!Array.isArray(items)) return [];
  const lines = items.map((raw) => {
    const item = raw as { type?: string; name?: string; reason?: string | null; since?: string; state?: string };
    const since = item.since ? localText(new Date(item.since), timezone) : '?';
    const why = item.reason ? `: ${oneLine(item.reason)}` : item.state ? ` (${item.state} since ${since})` : '';
    return `  - ${item.type ? `${item.type} ` : ''}${item.name ?? '?'}${why}`;
  });
  const count = Number(incident.details['count'] ?? items.length);
  return count > items.length ? [...lines, `  … and ${count - items.length} more (the ledgers have them all)`] : lines;
}

function runLine(incident: IncidentView): string[] {
  const run = incident.details['run'];
  return typeof run === 'number' ? [`Run:      ${run} (\`nocturne logs ${run}\`)`] : [];
}

/** The monitor's page about it: the run, the night's set-aside items, the pipeline's nights, else the overview. */
function linkFor(incident: IncidentView, settings: AlertSettings): string | null {
  const base = settings.baseUrl;
  if (!base) return null;
  const run = incident.details['run'];
  const pipeline = encodeURIComponent(incident.pipeline);
  if (typeof run === 'number') return `${base}/runs/${run}`;
  if (incident.kind === 'work_failed') return `${base}/quarantine?pipeline=${pipeline}&night=${incident.subject}`;
  if (incident.pipeline) return `${base}/nights?pipeline=${pipeline}`;
  return `${base}/`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' | ').trim();
  return line.length <= 500 ? line : `${line.slice(0, 499)}…`;
}
