import type { StageName } from '../config/schema.js';
import type { ITask } from 'pg-promise';
import { pgp, type Db } from '../db/database.js';
import type { IncidentKey } from './kinds.js';

/** An incident not yet resolved, as the evaluation sees it. */
export interface OpenIncident extends IncidentKey {
  id: number;
  openedAt: Date;
  summary: string;
  details: Record<string, unknown>;
  size: number;
}

/** A run that ended succeeded or failed: the ones that say how a stage is doing. */
export interface DecisiveRun {
  id: number;
  slot: Date;
  state: 'succeeded' | 'failed';
  errorCode: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
  host: string;
  attempt: number;
}

/** Where one pipeline's stage stands in the run history, whichever host ran it. */
export interface StageHistory {
  pipeline: string;
  stage: StageName;
  /** The newest run (by start) that succeeded or failed. */
  last: DecisiveRun | null;
  lastSuccessAt: Date | null;
  /** The newest slot whose run succeeded or failed. */
  lastDecisiveSlot: Date | null;
  /** The oldest slot of any run: the stage existed then. */
  firstSlot: Date | null;
}

/** Something set aside for good: a failed observation, a rejected file, set or rows, a quarantined quicklook. */
export interface FailedItem {
  type: 'observation' | 'file' | 'set' | 'rows' | 'quicklook';
  name: string;
  reason: string | null;
}

/** One pipeline's stage's failed work of one night. */
export interface FailedNight {
  pipeline: string;
  stage: StageName;
  night: string;
  count: number;
  /** The first items (by time), at most ITEMS_LISTED. */
  items: FailedItem[];
}

/** Work waiting for one pipeline's stage: the oldest items and how many wait in all. */
export interface WaitingWork {
  pipeline: string;
  stage: StageName;
  total: number;
  /** Oldest first, at most ITEMS_LISTED. */
  items: { name: string; since: Date; state: string }[];
}

export interface HostBeat {
  name: string;
  version: string;
  heartbeatAt: Date;
  heartbeatMs: number;
  stoppedAt: Date | null;
  schedules: string[];
}

/** What the state database says, read in one consistent snapshot. */
export interface StateSnapshot {
  /** Database time at the start of the read: thresholds are measured against it. */
  observedAt: Date;
  open: OpenIncident[];
  stages: StageHistory[];
  failed: FailedNight[];
  waiting: WaitingWork[];
  hosts: HostBeat[];
  /** `pipeline/stage` of the stages paused (nocturne pause): their slots are not missed. */
  paused?: string[];
}

/** Items listed per digest or stuck-work incident; the message gives the total beyond. */
export const ITEMS_LISTED = 1000;
/** Nights of failed work looked at (besides those of open digests). */
export const FAILED_LOOKBACK_DAYS = 7;

export interface SnapshotQuery {
  /** The pipelines and stages configured: their histories are read. */
  stages: readonly { pipeline: string; stage: StageName }[];
  timezone: string;
  /** Minutes after midnight at which a night begins. */
  nightStartsAt: number;
}

const SNAPSHOT_MODE = new pgp.txMode.TransactionMode({ tiLevel: pgp.txMode.isolationLevel.repeatableRead, readOnly: true });

type Raw<T> = { [K in keyof T]: T[K] extends number ? string | number : T[K] };

/**
 * Reads the snapshot in one REPEATABLE READ transaction, so that a run finishing while
 * it reads cannot appear in one part and not in another.
 */
export async function readSnapshot(db: Db, query: SnapshotQuery): Promise<StateSnapshot> {
  return db.tx({ tag: 'alerts-snapshot', mode: SNAPSHOT_MODE }, async (tx) => {
    const { now } = await tx.one<{ now: Date }>('SELECT now()');
    const open = await tx.map(
      `SELECT id, kind, pipeline, stage, subject, opened_at, summary, details, size FROM incidents WHERE resolved_at IS NULL ORDER BY id`,
      [],
      (
        r: Raw<{
          id: number;
          kind: string;
          pipeline: string;
          stage: string;
          subject: string;
          opened_at: Date;
          summary: string;
          details: Record<string, unknown>;
          size: number;
        }>,
      ) =>
        ({
          id: Number(r.id),
          kind: r.kind,
          pipeline: r.pipeline,
          stage: r.stage,
          subject: r.subject,
          openedAt: r.opened_at,
          summary: r.summary,
          details: r.details,
          size: Number(r.size),
        }) as OpenIncident,
    );
    const stages = await readStages(tx, query.stages);
    const openNights = open.filter((o) => o.kind === 'work_failed').map((o) => o.subject);
    const lookback = new Date(now.getTime() - FAILED_LOOKBACK_DAYS * 86_400_000).toISOString().slice(0, 10);
    const sinceNight = [lookback, ...openNights].sort()[0]!;
    const failed = await readFailed(tx, { ...query, sinceNight });
    const waiting = await readWaiting(tx);
    const hosts = await tx.map(
      'SELECT name, version, heartbeat_at, heartbeat_ms, stopped_at, schedules FROM hosts ORDER BY name',
      [],
      (r: { name: string; version: string; heartbeat_at: Date; heartbeat_ms: number; stopped_at: Date | null; schedules: string[] }) => ({
        name: r.name,
        version: r.version,
        heartbeatAt: r.heartbeat_at,
        heartbeatMs: Number(r.heartbeat_ms),
        stoppedAt: r.stopped_at,
        schedules: r.schedules,
      }),
    );
    const paused = await tx.map(`SELECT pipeline || '/' || stage AS key FROM pauses`, [], (r: { key: string }) => r.key);
    return { observedAt: now, open, stages, failed, waiting, hosts, paused };
  });
}

type Tx = ITask<unknown>;

export async function readStages(tx: Tx | Db, stages: SnapshotQuery['stages']): Promise<StageHistory[]> {
  if (stages.length === 0) return [];
  // One index lookup each (runs_history, and the unique key on slot), not a scan of the history.
  const rows = await tx.any<{
    pipeline: string;
    stage: StageName;
    id: string | null;
    slot: Date | null;
    state: 'succeeded' | 'failed' | null;
    error_code: string | null;
    error: string | null;
    started_at: Date | null;
    finished_at: Date | null;
    host: string | null;
    attempt: number | null;
    last_success_at: Date | null;
    last_decisive_slot: Date | null;
    first_slot: Date | null;
  }>(
    `SELECT k.pipeline, k.stage, d.id, d.slot, d.state, d.error_code, d.error, d.started_at, d.finished_at, d.host, d.attempt,
            (SELECT finished_at FROM runs r WHERE r.pipeline = k.pipeline AND r.stage = k.stage AND r.state = 'succeeded'
              ORDER BY started_at DESC, id DESC LIMIT 1) AS last_success_at,
            (SELECT slot FROM runs r WHERE r.pipeline = k.pipeline AND r.stage = k.stage AND r.state IN ('succeeded', 'failed')
              ORDER BY slot DESC LIMIT 1) AS last_decisive_slot,
            (SELECT slot FROM runs r WHERE r.pipeline = k.pipeline AND r.stage = k.stage ORDER BY slot LIMIT 1) AS first_slot
       FROM unnest($1::text[], $2::text[]) AS k(pipeline, stage)
       LEFT JOIN LATERAL (SELECT * FROM runs r WHERE r.pipeline = k.pipeline AND r.stage = k.stage
                            AND r.state IN ('succeeded', 'failed') ORDER BY started_at DESC, id DESC LIMIT 1) d ON true`,
    [stages.map((s) => s.pipeline), stages.map((s) => s.stage)],
  );
  return rows.map((r) => ({
    pipeline: r.pipeline,
    stage: r.stage,
    last:
      r.id === null
        ? null
        : {
            id: Number(r.id),
            slot: r.slot!,
            state: r.state!,
            errorCode: r.error_code,
            error: r.error,
            startedAt: r.started_at!,
            finishedAt: r.finished_at ?? r.started_at!,
            host: r.host!,
            attempt: Number(r.attempt),
          },
    lastSuccessAt: r.last_success_at,
    lastDecisiveSlot: r.last_decisive_slot,
    firstSlot: r.first_slot,
  }));
}

/** Failed work not since made good (FAILED_ITEMS), by pipeline, stage and night, the first items listed. */
async function readFailed(tx: Tx, q: SnapshotQuery & { sinceNight: string }): Promise<FailedNight[]> {
  const rows = await tx.any<{
    pipeline: string;
    stage: StageName;
    night: string;
    type: FailedItem['type'];
    name: string;
    reason: string | null;
    n: string;
  }>(
    `WITH ${FAILED_ITEMS}, numbered AS (
       SELECT *, row_number() OVER w AS i, count(*) OVER (PARTITION BY pipeline, stage, night) AS n
         FROM items WINDOW w AS (PARTITION BY pipeline, stage, night ORDER BY at, name)
     )
     SELECT pipeline, stage, night, type, name, reason, n FROM numbered WHERE i <= $4 ORDER BY pipeline, stage, night, i`,
    [q.timezone, q.nightStartsAt, q.sinceNight, ITEMS_LISTED],
  );
  const nights = new Map<string, FailedNight>();
  for (const r of rows) {
    const key = `${r.pipeline}|${r.stage}|${r.night}`;
    let entry = nights.get(key);
    if (!entry) nights.set(key, (entry = { pipeline: r.pipeline, stage: r.stage, night: r.night, count: Number(r.n), items: [] }));
    entry.items.push({ type: r.type, name: r.name, reason: r.reason });
  }
  return [...nights.values()];
}

/** Failed work not since made good, of the last FAILED_LOOKBACK_DAYS nights, counted by pipeline, stage and kind of item. */
export async function countFailed(
  db: Db,
  q: Omit<SnapshotQuery, 'stages'>,
): Promise<{ pipeline: string; stage: StageName; type: FailedItem['type']; n: number }[]> {
  const sinceNight = new Date(Date.now() - FAILED_LOOKBACK_DAYS * 86_400_000).toISOString().slice(0, 10);
  const rows = await db.any<{ pipeline: string; stage: StageName; type: FailedItem['type']; n: number }>(
    `WITH ${FAILED_ITEMS} SELECT pipeline, stage, type, count(*)::int AS n FROM items GROUP BY pipeline, stage, type ORDER BY pipeline, stage, type`,
    [q.timezone, q.nightStartsAt, sinceNight],
  );
  return rows;
}

const night = (at: string) => `(((${at}) AT TIME ZONE $1) - $2 * interval '1 minute')::date`;
const since = `($3::date + $2 * interval '1 minute') AT TIME ZONE $1`;

/**
 * Failed work not since made good, with its pipeline, stage and night, of the nights from
 * $3 on ($1 time zone, $2 minutes after midnight a night starts): an item is made good
 * when the same observation is no longer failed, or the same file, set or quicklook was
 * later loaded or archived (a corrected file re-emitted, a retry). The night is the
 * observing night the ledgers record (the run's date for an observation, the date in a
 * file's or set's name); where a name has none, the night of the moment it was set aside.
 * Files and sets are read by the time they were set aside, from the first night's start.
 */
const FAILED_ITEMS = `items AS (
       SELECT pipeline, 'run' AS stage, night::text AS night, 'observation' AS type, obs AS name, last_error AS reason, updated_at AS at
         FROM observations WHERE state = 'failed' AND night >= $3::date
       UNION ALL
       SELECT t.pipeline, 'upload', coalesce(t.night, ${night('t.updated_at')})::text, 'quicklook', t.local_path, t.error, t.updated_at
         FROM transfers t
        WHERE t.state = 'quarantined' AND t.updated_at >= ${since}
          AND t.id IN (SELECT id FROM open_quarantined_transfers)
       UNION ALL
       SELECT f.pipeline, 'ingest', coalesce(f.night, ${night('f.finished_at')})::text,
              CASE f.status WHEN 'rejected' THEN 'file' ELSE 'rows' END, f.path,
              CASE f.status WHEN 'rejected' THEN f.error
                   WHEN 'loaded' THEN CASE f.rows_quarantined WHEN 1 THEN '1 row set aside, at line ' ELSE f.rows_quarantined || ' rows set aside, the first at line ' END
                                      || q.line || ': ' || q.reason END,
              f.finished_at
         FROM ingested_files f
         LEFT JOIN LATERAL (SELECT line, reason FROM quarantine_rows WHERE file_id = f.id ORDER BY line LIMIT 1) q ON true
        WHERE (f.status = 'rejected' OR (f.status = 'loaded' AND f.rows_quarantined > 0))
          AND f.finished_at >= ${since}
          AND NOT EXISTS (SELECT 1 FROM ingested_files g WHERE g.source = f.source AND g.path = f.path
                            AND g.id > f.id AND g.status = 'loaded' AND g.rows_quarantined = 0)
       UNION ALL
       SELECT s.pipeline, 'ingest', coalesce(s.night, ${night('s.finished_at')})::text, 'set', s.set_key, s.error, s.finished_at
         FROM ingested_sets s
        WHERE s.status IN ('rejected', 'refused') AND s.finished_at >= ${since}
          AND s.id IN (SELECT id FROM open_rejected_sets)
     )`;

/** Files waiting for upload and sets waiting for a member, oldest first. */
async function readWaiting(tx: Tx): Promise<WaitingWork[]> {
  const rows = await tx.any<{ pipeline: string; stage: StageName; name: string; since: Date; state: string; n: string }>(
    `WITH items AS (
       SELECT pipeline, 'upload' AS stage, local_path AS name, created_at AS since, state FROM transfers
        WHERE state NOT IN ('deleted', 'kept', 'quarantined', 'missing')
       UNION ALL
       SELECT pipeline, 'ingest', set_key, first_seen_at, 'waiting for a member' FROM ingested_sets WHERE status = 'waiting'
     ), numbered AS (
       SELECT *, row_number() OVER (PARTITION BY pipeline, stage ORDER BY since, name) AS i,
              count(*) OVER (PARTITION BY pipeline, stage) AS n FROM items
     )
     SELECT pipeline, stage, name, since, state, n FROM numbered WHERE i <= $1 ORDER BY pipeline, stage, i`,
    [ITEMS_LISTED],
  );
  const work = new Map<string, WaitingWork>();
  for (const r of rows) {
    const key = `${r.pipeline}|${r.stage}`;
    let entry = work.get(key);
    if (!entry) work.set(key, (entry = { pipeline: r.pipeline, stage: r.stage, total: Number(r.n), items: [] }));
    entry.items.push({ name: r.name, since: r.since, state: r.state });
  }
  return [...work.values()];
}
