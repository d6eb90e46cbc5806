import type { StageName } from '../../config/schema.js';
import type { NocturneConfig } from '../../config/types.js';
import { runningRuns, staleRuns } from '../../daemon/run-summary.js';
import type { Db } from '../../db/database.js';
import { localDate } from '../../stages/nights.js';
import { lastNights, newestZone, stageTracks } from '../nights.js';

/** What a stage's runs of one night came to, worst first: a failure is not hidden by a later success. */
export type CellOutcome = 'running' | 'failed' | 'interrupted' | 'succeeded' | 'skipped' | 'none';
const PRECEDENCE: Exclude<CellOutcome, 'none'>[] = ['running', 'failed', 'interrupted', 'succeeded', 'skipped'];

export interface NightCell {
  stage: StageName;
  outcome: CellOutcome;
  /** Runs of that night, by state. */
  runs: Partial<Record<Exclude<CellOutcome, 'none'>, number>>;
  /** The newest run of that night, to open. */
  lastRunId: number | null;
}

export interface NightsGrid {
  /** Newest first. */
  nights: string[];
  pipelines: { pipeline: string; nights: { night: string; stages: NightCell[] }[] }[];
}

type Row = { pipeline: string; stage: StageName; night: string; state: Exclude<CellOutcome, 'none'>; n: string; last: string };

/**
 * Pipelines × the last `count` nights; a run belongs to the night of its slot in its
 * stage's time zone. Aggregated in PostgreSQL from a range scan of runs (pipeline, stage,
 * slot) per stage: a few hundred rows whatever the history.
 */
export async function nightsGrid(config: NocturneConfig, db: Db, now: Date, count: number, only?: string): Promise<NightsGrid> {
  const tracks = stageTracks(config, only === undefined ? undefined : [only]);
  const nights = lastNights(now, newestZone(now, tracks), count);
  // A day of margin either side: a stage's zone may be ahead of or behind UTC.
  const from = new Date(Date.parse(`${nights.at(-1)}T00:00:00Z`) - 86_400_000);
  const to = new Date(Date.parse(`${nights[0]}T00:00:00Z`) + 2 * 86_400_000);
  const rows = await db.any<Row>(
    `SELECT t.pipeline, t.stage, r.night, r.state, r.n, r.last
       FROM unnest($1::text[], $2::text[], $3::text[]) AS t(pipeline, stage, tz)
       CROSS JOIN LATERAL (
         SELECT to_char(x.slot AT TIME ZONE t.tz, 'YYYY-MM-DD') AS night, x.state, count(*) AS n, max(x.id) AS last
           FROM runs x
          WHERE x.pipeline = t.pipeline AND x.stage = t.stage AND x.slot >= $4 AND x.slot < $5
          GROUP BY 1, 2) r`,
    [tracks.map((t) => t.name), tracks.map((t) => t.stage), tracks.map((t) => t.tz), from, to],
  );
  const cells = new Map<string, NightCell>();
  for (const row of rows) {
    const key = `${row.pipeline}/${row.night}/${row.stage}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { stage: row.stage, outcome: 'none', runs: {}, lastRunId: null }));
    cell.runs[row.state] = Number(row.n);
    cell.lastRunId = Math.max(cell.lastRunId ?? 0, Number(row.last));
  }
  // A run whose holder is gone is not running, whatever its row says: counted interrupted.
  for (const { run, stale } of await runningRuns(db)) {
    const track = tracks.find((t) => t.name === run.pipeline && t.stage === run.stage);
    const cell = track && stale !== null ? cells.get(`${run.pipeline}/${localDate(run.slot, track.tz)}/${run.stage}`) : undefined;
    if (!cell?.runs.running) continue;
    cell.runs.running -= 1;
    if (cell.runs.running === 0) delete cell.runs.running;
    cell.runs.interrupted = (cell.runs.interrupted ?? 0) + 1;
  }
  for (const cell of cells.values()) cell.outcome = PRECEDENCE.find((state) => cell.runs[state]) ?? 'none';
  const names = [...new Set(tracks.map((t) => t.name))];
  return {
    nights,
    pipelines: names.map((pipeline) => ({
      pipeline,
      nights: nights.map((night) => ({
        night,
        stages: tracks
          .filter((t) => t.name === pipeline)
          .map(
            (t) => cells.get(`${pipeline}/${night}/${t.stage}`) ?? { stage: t.stage, outcome: 'none' as const, runs: {}, lastRunId: null },
          ),
      })),
    })),
  };
}

export interface NightRun {
  id: number;
  pipeline: string;
  stage: StageName;
  slot: string;
  trigger: string;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  summary: string;
}

/** Every run of one night (of some pipelines), for the night's page: what a click on a grid cell opens. */
export async function nightRuns(config: NocturneConfig, db: Db, night: string, only?: readonly string[]): Promise<NightRun[]> {
  const tracks = stageTracks(config, only);
  const day = Date.parse(`${night}T00:00:00Z`);
  const [rows, stale] = await Promise.all([
    db.any<{
      id: string;
      pipeline: string;
      stage: StageName;
      slot: Date;
      trigger: string;
      state: string;
      started_at: Date;
      finished_at: Date | null;
      error: string | null;
      stats: Record<string, number>;
    }>(
      `SELECT x.id, x.pipeline, x.stage, x.slot, x.trigger, x.state, x.started_at, x.finished_at, x.error, x.stats
       FROM unnest($1::text[], $2::text[], $3::text[]) AS t(pipeline, stage, tz)
       JOIN LATERAL (SELECT * FROM runs r WHERE r.pipeline = t.pipeline AND r.stage = t.stage AND r.slot >= $4 AND r.slot < $5
                        AND to_char(r.slot AT TIME ZONE t.tz, 'YYYY-MM-DD') = $6) x ON true
      ORDER BY x.pipeline, x.slot, x.id`,
      [
        tracks.map((t) => t.name),
        tracks.map((t) => t.stage),
        tracks.map((t) => t.tz),
        new Date(day - 86_400_000),
        new Date(day + 2 * 86_400_000),
        night,
      ],
    ),
    staleRuns(db),
  ]);
  return rows.map((r) => {
    // Recorded as running, its holder gone (runningRuns): shown as the overview shows it.
    const notRunning = stale.get(Number(r.id));
    return {
      id: Number(r.id),
      pipeline: r.pipeline,
      stage: r.stage,
      slot: r.slot.toISOString(),
      trigger: r.trigger,
      state: notRunning ? 'interrupted' : r.state,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      summary: notRunning
        ? `not running: ${notRunning}`
        : (r.error ??
          Object.entries(r.stats)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')),
    };
  });
}
