import type { Db } from '../db/database.js';
import { pidNamespace } from '../runs/holder.js';

/** What a daemon says about itself when it registers. */
export interface HostInfo {
  name: string;
  version: string;
  stages: readonly string[];
  /** "pipeline/stage" pairs it schedules. */
  schedules: readonly string[];
  heartbeatMs: number;
}

/** A row of the hosts table. */
export interface HostRow {
  name: string;
  version: string;
  stages: string[];
  schedules: string[];
  pid: number;
  holder: string | null;
  started_at: Date;
  heartbeat_at: Date;
  heartbeat_ms: number;
  stopped_at: Date | null;
}

/**
 * Registers this process under its host name, taking the row over from a previous
 * daemon of that name (a restart). Heartbeats use database time, so hosts with
 * skewed clocks still judge each other right.
 */
export async function registerHost(db: Db, info: HostInfo): Promise<void> {
  await db.none(
    `INSERT INTO hosts (name, version, stages, schedules, pid, holder, heartbeat_ms, started_at, heartbeat_at, stopped_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now(), NULL)
     ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, stages = EXCLUDED.stages, schedules = EXCLUDED.schedules,
       pid = EXCLUDED.pid, holder = EXCLUDED.holder, heartbeat_ms = EXCLUDED.heartbeat_ms,
       started_at = now(), heartbeat_at = now(), stopped_at = NULL`,
    [info.name, info.version, [...info.stages], [...info.schedules], process.pid, pidNamespace(), info.heartbeatMs],
  );
}

/**
 * Writes the heartbeat of this process. False when the row is no longer ours: another
 * daemon registered under the same name since (two hosts configured with one name).
 */
export async function beat(db: Db, name: string, schedules?: readonly string[]): Promise<boolean> {
  const result = await db.result(
    `UPDATE hosts SET heartbeat_at = now(), schedules = coalesce($4, schedules)
      WHERE name = $1 AND pid = $2 AND holder IS NOT DISTINCT FROM $3`,
    [name, process.pid, pidNamespace(), schedules === undefined ? null : [...schedules]],
  );
  return result.rowCount === 1;
}

/** Records a clean stop, if the row is still ours. */
export async function markStopped(db: Db, name: string): Promise<void> {
  await db.none(`UPDATE hosts SET stopped_at = now() WHERE name = $1 AND pid = $2 AND holder IS NOT DISTINCT FROM $3`, [
    name,
    process.pid,
    pidNamespace(),
  ]);
}

export async function listHosts(db: Db): Promise<HostRow[]> {
  return db.any<HostRow>('SELECT * FROM hosts ORDER BY name');
}
