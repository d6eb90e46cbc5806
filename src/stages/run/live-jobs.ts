import type { Executor, TrackedJob } from '../../executors/types.js';
import { failedVerdict, type EndRequest, type LiveTask } from './endings.js';
import type { JobRecord } from './job-ledger.js';

/** A job the tracker follows, with its tasks not yet ended. */
export interface LiveJob {
  record: JobRecord;
  tasks: Map<number, LiveTask>;
}

export interface LiveEntry {
  job: LiveJob;
  task: LiveTask;
}

export function liveEntries(jobs: Iterable<LiveJob>): LiveEntry[] {
  return [...jobs].flatMap((job) => [...job.tasks.values()].map((task) => ({ job, task })));
}

/** The job as the executor is asked about it. */
export function tracked(job: LiveJob): TrackedJob {
  const r = job.record;
  const live = [...job.tasks.keys()];
  return {
    name: r.name,
    schedulerId: r.schedulerId,
    jobDir: r.jobDir,
    isArray: r.isArray,
    taskCount: r.taskCount,
    live,
    createdAt: r.createdAt,
  };
}

/**
 * Tasks a complete poll did not report, for longer than the executor allows: LOST. A
 * task lost before it ever ran (a submission that never reached SLURM, a local queue that
 * died with nocturne) is not held against its observation, once (`lostUnstarted` remembers).
 */
export function lostRequests(
  jobs: Iterable<LiveJob>,
  seen: ReadonlySet<LiveTask>,
  now: number,
  executor: Pick<Executor, 'kind' | 'lostAfterMs'>,
  lostUnstarted: Set<string>,
): EndRequest[] {
  const lost: EndRequest[] = [];
  for (const { job, task } of liveEntries(jobs)) {
    if (seen.has(task) || now - task.lastSeenMs < executor.lostAfterMs) continue;
    const verdict = failedVerdict(`${lostReason(executor.kind, job.record, task)} (LOST)`, true);
    const counted = task.state === 'running' || lostUnstarted.has(task.input);
    if (!counted) lostUnstarted.add(task.input);
    lost.push({ job: job.record, task, verdict, state: 'lost', mode: counted ? 'normal' : 'uncounted' });
  }
  return lost;
}

/**
 * What is known of a task its executor no longer knows. SLURM forgets a pending array task
 * cancelled before it started (a person's scancel of it leaves no record in the
 * accounting): nocturne cannot tell that from a task lost, nor say who cancelled it.
 */
function lostReason(kind: Executor['kind'], job: JobRecord, task: LiveTask): string {
  const since = new Date(task.lastSeenMs).toISOString();
  if (kind !== 'slurm') return `it is unknown to the ${kind} executor since ${since}`;
  if (job.schedulerId === null) return `its submission was never confirmed, and SLURM lists no job of its name since ${since}`;
  const known = `SLURM no longer lists it (neither squeue nor sacct) since ${since}`;
  return task.state === 'running' ? `${known}: lost` : `${known}: it was cancelled before it started, or lost`;
}
