import path from 'node:path';
import type { STAGES } from '../../config/schema.js';
import type { NocturneConfig } from '../../config/types.js';
import type { Db } from '../../db/database.js';
import { localDate } from '../../stages/nights.js';
import { nightRuns } from './nights.js';

export type QuarantineKind = 'quicklook' | 'csv-file' | 'csv-row' | 'file-set' | 'observation';

/** One thing a stage set aside for a person. */
export interface QuarantineEntry {
  kind: QuarantineKind;
  pipeline: string;
  /** When it was set aside. */
  at: string;
  /** The night of the run that set it aside (observations: their night). */
  night: string | null;
  /** File, set key or observation, as it was named. */
  name: string;
  /** file:line:column of the problem, when it has one. */
  location: string | null;
  reason: string;
  /** Where it lies now: the quarantine file, the observation, the archive path. */
  place: string | null;
  runId: number | null;
  /** A thumbnail made safely from a set-aside quicklook (/api/thumbnails/{id}). */
  thumbnail: string | null;
}

export interface QuarantineFilter {
  pipeline?: string;
  night?: string;
}

/** Without a night, the listing covers this many days, newest first. */
export const QUARANTINE_DAYS = 30;

/** What every set-aside row carries besides its own columns: its run's slot and stage, for its night. */
interface SetAsideRow {
  pipeline: string;
  /** The ledger row's time: the only one a set may lack (finished_at while it waits). */
  at: Date;
  run_id: string | null;
  slot: Date | null;
  stage: string | null;
}
const LIMIT = 500;

/** Every stage's set-aside items, by pipeline and night: /quarantine and /api/quarantine. */
export async function quarantine(config: NocturneConfig, db: Db, now: Date, filter: QuarantineFilter): Promise<QuarantineEntry[]> {
  const pipelines = [...config.pipelines.keys()].filter((p) => filter.pipeline === undefined || p === filter.pipeline);
  const runIds = filter.night ? (await nightRuns(config, db, filter.night, pipelines)).map((r) => r.id) : null;
  const since = new Date(now.getTime() - QUARANTINE_DAYS * 86_400_000);
  const nights = new Map<string, string>();
  /**
   * Rows of a ledger `table` (as x) set aside: those of the night's runs, or of the last
   * days by pipeline and `time`; each through an index (0013). Each row has the run's
   * slot and stage, for its night.
   */
  const setAside = <Row>(table: string, columns: string, condition: string, time: string, join = '') =>
    db.any<SetAsideRow & Row>(
      `SELECT x.pipeline, x.${time} AS at, x.run_id, r.slot, r.stage, ${columns}
         FROM ${table} x ${join} LEFT JOIN runs r ON r.id = x.run_id
        WHERE ${runIds ? 'x.run_id = ANY($2::bigint[])' : `x.pipeline = ANY($1::text[]) AND x.${time} >= $3`} AND ${condition}
        ORDER BY x.${time} DESC LIMIT ${LIMIT}`,
      [pipelines, runIds, since],
    );
  const [quicklooks, files, rows, sets, observations] = await Promise.all([
    setAside<{ id: string; local_path: string; quarantine_path: string | null; error: string | null }>(
      'transfers',
      'x.id, x.local_path, x.quarantine_path, x.error',
      "x.state = 'quarantined'",
      'updated_at',
    ),
    setAside<{ id: string; source: string; path: string; error: string | null }>(
      'ingested_files',
      'x.id, x.source, x.path, x.error',
      "x.status = 'rejected'",
      'finished_at',
    ),
    setAside<{ path: string; line: number; reason: string }>(
      'ingested_files',
      'x.path, q.line, q.reason',
      'x.rows_quarantined > 0',
      'finished_at',
      'JOIN quarantine_rows q ON q.file_id = x.id',
    ),
    setAside<{ id: string; source: string; set_key: string; status: string; error: string | null; members: { path: string }[] }>(
      'ingested_sets',
      'x.id, x.source, x.set_key, x.status, x.error, x.members',
      "x.status IN ('rejected', 'refused')",
      'finished_at',
    ),
    db.any<{
      pipeline: string;
      at: Date;
      obs: string;
      input: string;
      night: Date;
      last_error: string | null;
      run_id: string | null;
      log_path: string | null;
    }>(
      `SELECT o.pipeline, o.updated_at AS at, o.obs, o.input, o.night, o.last_error, last.run_id, last.log_path
         FROM observations o
         LEFT JOIN LATERAL (SELECT j.run_id, t.log_path FROM job_tasks t JOIN jobs j ON j.id = t.job
                             WHERE t.pipeline = o.pipeline AND t.input = o.input ORDER BY t.job DESC, t.task_index LIMIT 1) last ON true
        WHERE o.pipeline = ANY($1::text[]) AND o.state = 'failed'
          AND ${filter.night ? 'o.night = $2::date' : 'o.updated_at >= $3'}
        ORDER BY o.updated_at DESC LIMIT ${LIMIT}`,
      [pipelines, filter.night ?? null, since],
    ),
  ]);
  const nightOfRun = (row: { pipeline: string; slot: Date | null; stage: string | null }): string | null => {
    if (!row.slot || !row.stage) return null;
    const tz = config.pipelines.get(row.pipeline)?.config[row.stage as (typeof STAGES)[number]]?.timezone ?? 'UTC';
    const key = `${tz}/${row.slot.getTime()}`;
    if (!nights.has(key)) nights.set(key, localDate(row.slot, tz));
    return nights.get(key)!;
  };
  const id = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  const entries: QuarantineEntry[] = [
    ...quicklooks.map((q) => ({
      kind: 'quicklook' as const,
      pipeline: q.pipeline,
      at: q.at.toISOString(),
      night: nightOfRun(q),
      name: path.basename(q.local_path),
      location: null,
      reason: q.error ?? 'quarantined',
      place: q.quarantine_path,
      runId: id(q.run_id),
      thumbnail: `/api/thumbnails/${q.id}`,
    })),
    ...files.map((f) => ({
      kind: 'csv-file' as const,
      pipeline: f.pipeline,
      at: f.at.toISOString(),
      night: nightOfRun(f),
      name: path.basename(f.path),
      location: locationOf(f.error),
      reason: f.error ?? 'rejected',
      place: placeOfRejected(config, f.pipeline, f.source, f.path),
      runId: id(f.run_id),
      thumbnail: null,
    })),
    ...rows.map((r) => ({
      kind: 'csv-row' as const,
      pipeline: r.pipeline,
      at: r.at.toISOString(),
      night: nightOfRun(r),
      name: path.basename(r.path),
      location: `${r.path}:${r.line}`,
      reason: r.reason,
      place: `${r.path} (the row is kept in quarantine_rows)`,
      runId: id(r.run_id),
      thumbnail: null,
    })),
    ...sets.map((s) => ({
      kind: 'file-set' as const,
      pipeline: s.pipeline,
      at: (s.at ?? new Date(0)).toISOString(),
      night: nightOfRun(s),
      name: s.set_key,
      location: locationOf(s.error),
      reason: `${s.status}: ${s.error ?? ''}`,
      place: s.members.map((m) => placeOfRejected(config, s.pipeline, s.source, m.path)).join('\n'),
      runId: id(s.run_id),
      thumbnail: null,
    })),
    ...observations.map((o) => ({
      kind: 'observation' as const,
      pipeline: o.pipeline,
      at: o.at.toISOString(),
      night: o.night.toISOString().slice(0, 10),
      name: o.obs,
      location: null,
      reason: o.last_error ?? 'failed',
      place: o.log_path ? `${o.input}\nlog: ${o.log_path}` : o.input,
      runId: id(o.run_id),
      thumbnail: null,
    })),
  ];
  return entries.sort((a, b) => b.at.localeCompare(a.at));
}

/** "file:line:col: reason" → "file:line:col". */
function locationOf(error: string | null): string | null {
  const match = error ? /^(.+?:\d+(?::[^:\s]+)?): /.exec(error) : null;
  return match ? match[1]! : null;
}

/**
 * Where a rejected file lies now: a local source's file is moved below
 * <quarantine>/<pipeline>/ with its path under the source directory (a suffix is added
 * when the name is taken); a remote one stays on the archive.
 */
function placeOfRejected(config: NocturneConfig, pipeline: string, source: string, file: string): string {
  const local = /^local:(.*)$/.exec(source);
  if (!local) return `${source} ${file} (left on the archive)`;
  return path.join(config.paths.quarantine, pipeline, path.relative(local[1]!, file));
}
