import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import type { RunState } from '../runs/runs.js';
import { liveness, type Liveness } from './liveness.js';

/** A registered daemon as `nocturne hosts` shows it. */
export interface HostListing {
  name: string;
  liveness: Liveness;
  version: string;
  stages: string[];
  schedules: string[];
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
  heartbeatMs: number;
  stoppedAt: Date | null;
  /** Seconds since the heartbeat, in database time. */
  silentSeconds: number;
  /** The newest run recorded by this host (any trigger), if any. */
  lastRun: { id: number; pipeline: string; stage: string; state: RunState; startedAt: Date } | null;
}

interface Row {
  name: string;
  version: string;
  stages: string[];
  schedules: string[];
  pid: number;
  started_at: Date;
  heartbeat_at: Date;
  heartbeat_ms: number;
  stopped_at: Date | null;
  now: Date;
  run_id: string | null;
  run_pipeline: string | null;
  run_stage: string | null;
  run_state: RunState | null;
  run_started_at: Date | null;
}

/** Every registered host with its liveness (judged in database time, as heartbeats are written) and its last run. */
export async function hostListings(db: Db): Promise<HostListing[]> {
  const rows = await inDatabase('hosts: listing registered daemons', () =>
    db.any<Row>(
      `SELECT h.*, now() AS now, r.id AS run_id, r.pipeline AS run_pipeline, r.stage AS run_stage,
              r.state AS run_state, r.started_at AS run_started_at
         FROM hosts h
         LEFT JOIN LATERAL (SELECT id, pipeline, stage, state, started_at FROM runs
                             WHERE runs.host = h.name AND state <> 'skipped'
                             ORDER BY started_at DESC LIMIT 1) r ON true
        ORDER BY h.name`,
    ),
  );
  return rows.map((r) => {
    const beat = { heartbeatAt: r.heartbeat_at, heartbeatMs: r.heartbeat_ms, stoppedAt: r.stopped_at };
    return {
      name: r.name,
      liveness: liveness(beat, r.now),
      version: r.version,
      stages: r.stages,
      schedules: r.schedules,
      pid: r.pid,
      startedAt: r.started_at,
      ...beat,
      silentSeconds: Math.max(0, Math.round((r.now.getTime() - r.heartbeat_at.getTime()) / 1000)),
      lastRun:
        r.run_id === null
          ? null
          : { id: Number(r.run_id), pipeline: r.run_pipeline!, stage: r.run_stage!, state: r.run_state!, startedAt: r.run_started_at! },
    };
  });
}
