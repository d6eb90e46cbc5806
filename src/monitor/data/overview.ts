import type { NocturneConfig } from '../../config/types.js';
import type { Db } from '../../db/database.js';
import { stageStatuses, type StageStatus, type StatusOptions } from '../../daemon/status-report.js';
import { Schedule } from '../../scheduling/slots.js';
import { stageTracks } from '../nights.js';
import { scheduleInWords } from '../schedule-words.js';
import { runProgress, type RunProgress } from '../progress.js';

/** One pipeline's stage on the overview: its status, plus what a person reads first. */
export interface OverviewStage extends StageStatus {
  scheduleText: string;
  /** Seconds the last ended run took. */
  lastDurationSeconds: number | null;
  /** The running run's progress, when this daemon is running it (null otherwise). */
  progress: RunProgress | null;
}

export type AttentionKind =
  | 'failed-runs'
  | 'failed-observations'
  | 'quarantined-quicklooks'
  | 'rejected-files'
  | 'quarantined-rows'
  | 'rejected-sets'
  | 'files-waiting';

/** Something set aside or stuck that a person should look at. */
export interface AttentionItem {
  pipeline: string;
  kind: AttentionKind;
  count: number;
  /** In words, e.g. "2 failed observations". */
  text: string;
  /** The page that lists them. */
  link: string;
}

export interface Overview {
  generatedAt: string;
  /** What needs attention counts what happened since this instant. */
  attentionSince: string;
  stages: OverviewStage[];
  attention: AttentionItem[];
}

export interface OverviewOptions extends StatusOptions {
  /** Live counters of running runs, by run id (the daemon's event feed). */
  progressOf?: (runId: number) => Record<string, number | string> | undefined;
}

/** Attention covers the last week: long enough to span a weekend without a look. */
const ATTENTION_DAYS = 7;

const WORDS: Record<AttentionKind, [string, string]> = {
  'failed-runs': ['failed run', 'failed runs'],
  'failed-observations': ['failed observation', 'failed observations'],
  'quarantined-quicklooks': ['quarantined quicklook', 'quarantined quicklooks'],
  'rejected-files': ['rejected CSV file', 'rejected CSV files'],
  'quarantined-rows': ['refused CSV row', 'refused CSV rows'],
  'rejected-sets': ['rejected or refused file set', 'rejected or refused file sets'],
  'files-waiting': ['file waiting longer than its upload schedule', 'files waiting longer than their upload schedule'],
};

/** The overview page, /api/overview and `nocturne status --json`: every pipeline × stage and what needs attention. */
export async function overview(config: NocturneConfig, db: Db, options: OverviewOptions): Promise<Overview> {
  const since = new Date(options.now.getTime() - ATTENTION_DAYS * 86_400_000);
  const [statuses, attention] = await Promise.all([stageStatuses(config, db, options), attentionItems(config, db, options.now, since)]);
  const stages = statuses.map((status): OverviewStage => {
    const last = status.last;
    const duration = last?.finishedAt ? (Date.parse(last.finishedAt) - Date.parse(last.startedAt)) / 1000 : null;
    const counters = status.running ? options.progressOf?.(status.running.id) : undefined;
    return {
      ...status,
      scheduleText: scheduleInWords(status.schedule),
      lastDurationSeconds: duration,
      progress: counters ? runProgress(status.stage, counters) : null,
    };
  });
  return { generatedAt: options.now.toISOString(), attentionSince: since.toISOString(), stages, attention };
}

type Count = { pipeline: string; kind: AttentionKind; n: string };

/** What each pipeline has set aside since $3, counted from the indexes of 0013 (p.pipeline is the pipeline). */
const PER_PIPELINE: [AttentionKind, string][] = [
  [
    'failed-observations',
    `SELECT count(*) FROM observations o WHERE o.pipeline = p.pipeline AND o.state = 'failed' AND o.updated_at >= $3`,
  ],
  [
    'quarantined-quicklooks',
    `SELECT count(*) FROM transfers x WHERE x.pipeline = p.pipeline AND x.state = 'quarantined' AND x.updated_at >= $3`,
  ],
  [
    'rejected-files',
    `SELECT count(*) FROM ingested_files f WHERE f.pipeline = p.pipeline AND f.status = 'rejected' AND f.finished_at >= $3`,
  ],
  [
    'quarantined-rows',
    `SELECT coalesce(sum(f.rows_quarantined), 0) FROM ingested_files f WHERE f.pipeline = p.pipeline AND f.rows_quarantined > 0 AND f.finished_at >= $3`,
  ],
  [
    'rejected-sets',
    `SELECT count(*) FROM ingested_sets s WHERE s.pipeline = p.pipeline AND s.status IN ('rejected', 'refused') AND s.finished_at >= $3`,
  ],
];

async function attentionItems(config: NocturneConfig, db: Db, now: Date, since: Date): Promise<AttentionItem[]> {
  const pipelines = [...config.pipelines.keys()];
  const tracks = stageTracks(config);
  // Files older than one period of their upload schedule are stuck, not merely queued.
  const waiting = [...config.pipelines].flatMap(([name, p]) => {
    const upload = p.config.upload;
    if (!upload) return [];
    const schedule = new Schedule(upload.schedule, upload.timezone);
    const first = schedule.next(now);
    const second = first && schedule.next(first);
    return first && second ? [{ name, before: new Date(now.getTime() - (second.getTime() - first.getTime())) }] : [];
  });
  // Each count is a range scan of an index on (pipeline, time), per pipeline (sql/state/0013).
  const perPipeline = PER_PIPELINE.map(
    ([kind, count]) => `SELECT p.pipeline, '${kind}', (${count}) FROM unnest($4::text[]) AS p(pipeline)`,
  );
  const counts = await db.any<Count>(
    [
      `SELECT t.pipeline, 'failed-runs' AS kind,
              (SELECT count(*) FROM runs r WHERE r.pipeline = t.pipeline AND r.stage = t.stage AND r.started_at >= $3 AND r.state = 'failed') AS n
         FROM unnest($1::text[], $2::text[]) AS t(pipeline, stage)`,
      ...perPipeline,
      `SELECT w.pipeline, 'files-waiting',
              (SELECT count(*) FROM transfers x WHERE x.pipeline = w.pipeline
                  AND x.state NOT IN ('deleted', 'kept', 'quarantined', 'missing') AND x.created_at < w.before)
         FROM unnest($5::text[], $6::timestamptz[]) AS w(pipeline, before)`,
    ].join('\n     UNION ALL\n     '),
    [tracks.map((t) => t.name), tracks.map((t) => t.stage), since, pipelines, waiting.map((w) => w.name), waiting.map((w) => w.before)],
  );
  return counts
    .filter((c) => Number(c.n) > 0)
    .map((c) => {
      const count = Number(c.n);
      const [one, many] = WORDS[c.kind];
      const link =
        c.kind === 'failed-runs'
          ? `/nights?pipeline=${encodeURIComponent(c.pipeline)}`
          : `/quarantine?pipeline=${encodeURIComponent(c.pipeline)}`;
      return { pipeline: c.pipeline, kind: c.kind, count, text: `${count} ${count === 1 ? one : many}`, link };
    });
}
