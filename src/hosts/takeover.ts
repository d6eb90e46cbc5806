import type { ITask } from 'pg-promise';
import { GONE_AFTER_PERIODS } from './liveness.js';

/** What the takeover knows of a live run's holder (a row of runs). */
export interface Holder {
  host: string;
  pid: number;
  holder: string | null;
}

/**
 * Why the holder of a run is gone according to the hosts table, or null when that table
 * cannot say. It decides only for a run held by the daemon process registered under the
 * run's host (same pid and namespace): that daemon recorded a clean stop, or its
 * heartbeat is older than GONE_AFTER_PERIODS periods (GPAO's sessions). A run held by
 * another process of that host (a manual `nocturne run`) is left to its lease.
 */
export async function goneByHeartbeat(tx: ITask<unknown>, live: Holder): Promise<string | null> {
  const row = await tx.oneOrNone<{ stopped_at: Date | null; silent_ms: number }>(
    `SELECT stopped_at, (extract(epoch FROM now() - heartbeat_at) * 1000)::float8 AS silent_ms FROM hosts
      WHERE name = $1 AND pid = $2 AND holder IS NOT DISTINCT FROM $3
        AND (stopped_at IS NOT NULL OR heartbeat_at < now() - $4 * heartbeat_ms * interval '1 millisecond')`,
    [live.host, live.pid, live.holder, GONE_AFTER_PERIODS],
  );
  if (!row) return null;
  const why = row.stopped_at
    ? `its daemon stopped at ${row.stopped_at.toISOString()}`
    : `its daemon's heartbeat is ${Math.round(row.silent_ms / 1000)}s old`;
  return `holder (pid ${live.pid} on ${live.host}) is gone: ${why}`;
}
