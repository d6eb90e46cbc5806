import type { IBaseProtocol } from 'pg-promise';
import { needsPerson } from '../../executors/states.js';

/** Tasks waiting for the same reason, in one pipeline: what status and the API show. */
export interface WaitingGroup {
  /** SLURM's reason, as it gave it. */
  reason: string;
  tasks: number;
  /** When the longest of these waits began. */
  since: Date;
  /** The observations waiting (the first 20). */
  obs: string[];
  /** The jobs they belong to: name and SLURM id. */
  jobs: Array<{ name: string; schedulerId: string | null }>;
}

/** A wait a person must end (hold, drained node) or the queue's own (priority, resources, requeue delay). */
export type WaitKind = 'person' | 'queue';

type Queryable = IBaseProtocol<unknown>;

/** Why the tasks of a pipeline's unfinished jobs wait, longest wait first. */
export async function waitingTasks(db: Queryable, pipeline: string): Promise<WaitingGroup[]> {
  const rows = await db.any<{
    reason: string;
    tasks: number;
    since: Date;
    obs: string[];
    jobs: Array<{ name: string; schedulerId: string | null }>;
  }>(
    `SELECT t.wait_reason AS reason, count(*)::int AS tasks, min(t.waiting_since) AS since,
            (array_agg(t.obs ORDER BY t.obs))[1:20] AS obs,
            jsonb_agg(DISTINCT jsonb_build_object('name', j.name, 'schedulerId', j.scheduler_id)) AS jobs
       FROM job_tasks t JOIN jobs j ON j.id = t.job
      WHERE j.pipeline = $1 AND j.state IN ('submitting', 'submitted') AND t.state = 'pending' AND t.wait_reason IS NOT NULL
      GROUP BY t.wait_reason ORDER BY min(t.waiting_since), t.wait_reason`,
    [pipeline],
  );
  return rows;
}

/** Every pipeline's waiting tasks by kind, with the longest wait: for the metrics. */
export async function waitingSummary(
  db: Queryable,
): Promise<Array<{ pipeline: string; kind: WaitKind; tasks: number; longestSeconds: number }>> {
  const rows = await db.any<{ pipeline: string; reason: string; tasks: number; longest: number }>(
    `SELECT j.pipeline, t.wait_reason AS reason, count(*)::int AS tasks,
            extract(epoch FROM now() - min(t.waiting_since))::float8 AS longest
       FROM job_tasks t JOIN jobs j ON j.id = t.job
      WHERE j.state IN ('submitting', 'submitted') AND t.state = 'pending' AND t.wait_reason IS NOT NULL
      GROUP BY j.pipeline, t.wait_reason`,
  );
  const byKind = new Map<string, { pipeline: string; kind: WaitKind; tasks: number; longestSeconds: number }>();
  for (const r of rows) {
    const kind: WaitKind = needsPerson(r.reason) ? 'person' : 'queue';
    const key = `${r.pipeline}\0${kind}`;
    const e = byKind.get(key) ?? { pipeline: r.pipeline, kind, tasks: 0, longestSeconds: 0 };
    e.tasks += r.tasks;
    e.longestSeconds = Math.max(e.longestSeconds, r.longest);
    byKind.set(key, e);
  }
  return [...byKind.values()];
}
