import { listIncidents, type IncidentListing } from '../../alerts/incident-rows.js';
import { KIND_TITLES } from '../../alerts/kinds.js';
import type { RunBrief, StageStatus, WaitingTasks } from '../../daemon/status-report.js';
import { hostListings } from '../../hosts/listing.js';
import { unscheduled } from '../../hosts/liveness.js';
import { campaignLine } from '../../campaigns/describe.js';
import { CampaignStore } from '../../campaigns/store.js';
import { overview } from '../../monitor/data/overview.js';
import { pauseText } from '../../operations/pauses.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface StatusOptions extends CliOptions {
  json?: boolean;
}

/**
 * `nocturne status`: every pipeline and stage, its next slot, last result and pending
 * work. --json prints what /api/overview answers (the same function).
 */
export async function statusCommand(options: StatusOptions): Promise<void> {
  const config = await loadOrExit(options);
  const [report, incidents, hosts, campaigns] = await withDb(config, (db) =>
    Promise.all([
      overview(config, db, { now: new Date() }),
      listIncidents(db, { open: true, limit: 100 }),
      hostListings(db),
      new CampaignStore(db).views({ open: true }),
    ]),
  );
  const orphans = unscheduled(
    report.stages.map((s) => `${s.pipeline}/${s.stage}`),
    hosts,
  );
  // --json stays /api/overview's answer; campaigns have theirs (/api/campaigns, backfill status --json).
  const open =
    campaigns.length > 0
      ? `\nreprocessing campaigns (\`nocturne backfill status\`):\n${campaigns.map((c) => `  ${campaignLine(c)}`).join('\n')}\n`
      : '';
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report.stages, incidents, orphans) + open);
}

/** "2026-11-24T01:30:00.000Z" → "2026-11-24 01:30Z". */
const minute = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : '-');
const runText = (run: RunBrief) => `${run.state} (run ${run.id}, slot ${minute(run.slot)})`;

export function formatStatus(
  statuses: StageStatus[],
  incidents: IncidentListing[] = [],
  /** The stages no live daemon schedules. */
  unscheduled: string[] = [],
): string {
  const open = incidents.map((i) => `  #${i.id} ${KIND_TITLES[i.kind]} since ${minute(i.openedAt)}: ${i.summary}`);
  const told = open.length > 0 ? ['', `open incidents (${open.length}; \`nocturne incidents --open\`):`, ...open] : [];
  if (statuses.length === 0) return ['no pipelines configured', ...told].join('\n') + '\n';
  const header = ['PIPELINE/STAGE', 'HERE', 'NEXT', 'NOW', 'LAST', 'LAST SUCCESS', 'PENDING'];
  const rows = statuses.map((s) => [
    `${s.pipeline}/${s.stage}`,
    s.onThisHost ? 'yes' : 'no',
    minute(s.next),
    s.running
      ? `running on ${s.running.host} (run ${s.running.id})`
      : s.paused
        ? 'paused (see below)'
        : s.stale
          ? `not running (run ${s.stale.run.id}, see below)`
          : 'idle',
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
  const problems = statuses.flatMap((s) => {
    const key = `${s.pipeline}/${s.stage}`;
    const { paused } = s;
    return [
      ...(paused
        ? [
            `${key}: ${pauseText({ reason: paused.reason, pausedBy: paused.by, pausedAt: new Date(paused.since) })} (nocturne resume ${s.pipeline} --stage ${s.stage})`,
          ]
        : []),
      ...(s.last && s.last.state !== 'succeeded' && s.last.detail ? [`${key}: ${runText(s.last)}: ${firstLine(s.last.detail)}`] : []),
      ...(s.stale
        ? [
            `${key}: run ${s.stale.run.id} is recorded as running, but ${s.stale.why}: it is not running; the next run of the stage takes it over`,
          ]
        : []),
      ...(s.waiting ?? []).map((w) => `${key}: ${waitText(w)}`),
      ...(s.waitingError ? [`${key}: ? (${s.waitingError})`] : []),
    ];
  });
  if (unscheduled.length > 0) {
    problems.push(
      `warning: no live daemon schedules ${unscheduled.join(', ')}: they run only by hand until a host with these stages starts (nocturne hosts)`,
    );
  }
  return [line(header), ...rows.map(line), ...(problems.length > 0 ? ['', ...problems] : []), ...told].join('\n') + '\n';
}

const firstLine = (text: string) => text.split('\n')[0] ?? '';

/** "2 tasks waiting since 2026-11-24 02:03Z: JobHeldAdmin: held by ... (job noc-sdoss-ab12, SLURM 123; observations a, b)" */
function waitText(w: WaitingTasks): string {
  const jobs = w.jobs.map((j) => `job ${j.name}${j.schedulerId ? `, SLURM ${j.schedulerId}` : ''}`).join('; ');
  const obs = `${w.tasks === 1 ? 'observation' : 'observations'} ${w.obs.join(', ')}${w.tasks > w.obs.length ? ', ...' : ''}`;
  return `${w.tasks} task${w.tasks === 1 ? '' : 's'} waiting since ${minute(w.since)}: ${w.explained} (${jobs}; ${obs})`;
}
