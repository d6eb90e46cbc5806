import { hostListings, type HostListing } from '../../hosts/listing.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface HostsOptions extends CliOptions {
  json?: boolean;
}

/** `nocturne hosts`: each registered daemon, alive, late or gone, with what it schedules and its last run. */
export async function hostsCommand(options: HostsOptions): Promise<void> {
  const config = await loadOrExit(options);
  const hosts = await withDb(config, (db) => hostListings(db));
  process.stdout.write(options.json ? `${JSON.stringify(hosts, null, 2)}\n` : formatHosts(hosts));
}

const minute = (d: Date) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}Z`;

export function formatHosts(hosts: HostListing[]): string {
  if (hosts.length === 0) return 'no daemon has registered yet (each `nocturne daemon` registers at start)\n';
  const header = ['HOST', 'STATE', 'VERSION', 'STAGES', 'HEARTBEAT', 'LAST RUN'];
  const rows = hosts.map((h) => [
    h.name,
    h.liveness === 'gone' && h.stoppedAt ? 'gone (stopped)' : h.liveness,
    h.version,
    h.stages.join(',') || '-',
    h.stoppedAt ? `stopped ${minute(h.stoppedAt)}` : `${h.silentSeconds}s ago (every ${h.heartbeatMs / 1000}s)`,
    h.lastRun ? `run ${h.lastRun.id} ${h.lastRun.pipeline}/${h.lastRun.stage} ${h.lastRun.state} ${minute(h.lastRun.startedAt)}` : '-',
  ]);
  const widths = header.map((head, i) => Math.max(head.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
