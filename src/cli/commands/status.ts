import { listIncidents, type IncidentListing } from '../../alerts/incident-rows.js';
import { KIND_TITLES } from '../../alerts/kinds.js';
import { stageStatuses, type RunBrief, type StageStatus } from '../../daemon/status-report.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface StatusOptions extends CliOptions {
  json?: boolean;
}

/** `nocturne status`: every pipeline and stage, its next slot, last result and pending work. */
export async function statusCommand(options: StatusOptions): Promise<void> {
  const config = await loadOrExit(options);
  const [statuses, incidents] = await withDb(config, (db) =>
    Promise.all([stageStatuses(config, db, { now: new Date() }), listIncidents(db, { open: true, limit: 100 })]),
  );
  process.stdout.write(options.json ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatus(statuses, incidents));
}

/** "2026-11-24T01:30:00.000Z" → "2026-11-24 01:30Z". */
const minute = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '-');
const runText = (run: RunBrief) => `${run.state} (run ${run.id}, slot ${minute(run.slot)})`;

export function formatStatus(statuses: StageStatus[], incidents: IncidentListing[] = []): string {
  const open = incidents.map((i) => `  #${i.id} ${KIND_TITLES[i.kind]} since ${minute(i.openedAt)}: ${i.summary}`);
  const told = open.length > 0 ? ['', `open incidents (${open.length}; \`nocturne incidents --open\`):`, ...open] : [];
  if (statuses.length === 0) return ['no pipelines configured', ...told].join('\n') + '\n';
  const header = ['PIPELINE/STAGE', 'HERE', 'NEXT', 'NOW', 'LAST', 'LAST SUCCESS', 'PENDING'];
  const rows = statuses.map((s) => [
    `${s.pipeline}/${s.stage}`,
    s.onThisHost ? 'yes' : 'no',
    minute(s.next),
    s.running ? `running on ${s.running.host} (run ${s.running.id})` : 'idle',
    s.last ? runText(s.last) : 'never ran',
    minute(s.lastSuccessAt),
    s.pendingError
      ? `? (${s.pendingError})`
      : Object.entries(s.pending)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const problems = statuses
    .filter((s) => s.last && s.last.state !== 'succeeded' && s.last.detail)
    .map((s) => `${s.pipeline}/${s.stage}: ${runText(s.last!)}: ${s.last!.detail}`);
  return [line(header), ...rows.map(line), ...(problems.length > 0 ? ['', ...problems] : []), ...told].join('\n') + '\n';
}
