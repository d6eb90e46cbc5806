import { listIncidents, type IncidentListing } from '../../alerts/incident-rows.js';
import { KIND_TITLES } from '../../alerts/kinds.js';
import { wholeNumber } from '../options.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface IncidentsOptions extends CliOptions {
  open?: boolean;
  limit: string;
  json?: boolean;
}

/** `nocturne incidents [--open]`: incidents of alerting, newest first. */
export async function incidentsCommand(options: IncidentsOptions): Promise<void> {
  const limit = wholeNumber('--limit', options.limit, 1, 1000);
  const config = await loadOrExit(options);
  const incidents = await withDb(config, (db) => listIncidents(db, { open: options.open === true, limit }));
  process.stdout.write(options.json ? `${JSON.stringify(incidents, null, 2)}\n` : formatIncidents(incidents, options.open === true));
}

/** "2026-11-24T01:30:00.000Z" → "2026-11-24 01:30Z". */
const minute = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '-');

export function formatIncidents(incidents: IncidentListing[], onlyOpen: boolean): string {
  if (incidents.length === 0) return onlyOpen ? 'no open incidents\n' : 'no incidents yet\n';
  const header = ['ID', 'KIND', 'ABOUT', 'OPENED', 'RESOLVED', 'MESSAGES', 'SUMMARY'];
  const rows = incidents.map((i) => [
    String(i.id),
    KIND_TITLES[i.kind],
    [i.pipeline && i.stage ? `${i.pipeline}/${i.stage}` : i.pipeline, i.subject].filter(Boolean).join(' ') || '-',
    `${minute(i.openedAt)} ${i.openedBy}`,
    i.resolvedAt ? minute(i.resolvedAt) : 'open',
    Object.entries(i.messages)
      .map(([state, n]) => `${state}=${n}`)
      .join(' ') || '-',
    i.resolution ? `${i.summary} → ${i.resolution}` : i.summary,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
