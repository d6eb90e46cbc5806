import { isTerminal } from '../states.js';
import type { TaskStatus, TrackedJob } from '../types.js';
import type { SchedulerRow } from './parse.js';

/**
 * One status per known task, from the accounting rows (sacct, or scontrol without
 * accounting) and the live rows (squeue). A terminal accounting row is final; otherwise
 * squeue is fresher: sacct lags behind slurmctld, most visibly for array tasks, and
 * shows a pending range long after its tasks started.
 */
export function mergeStatuses(
  jobs: readonly TrackedJob[],
  accounting: readonly SchedulerRow[],
  live: readonly SchedulerRow[],
): TaskStatus[] {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const merged = new Map<string, TaskStatus>();
  const put = (status: TaskStatus, replace: (old: TaskStatus) => boolean) => {
    const key = `${status.name}\0${status.index}`;
    const old = merged.get(key);
    if (!old || replace(old)) merged.set(key, status);
  };
  const expand = (rows: readonly SchedulerRow[]): TaskStatus[] =>
    rows.flatMap((row) => {
      const job = byName.get(row.name);
      if (!job) return [];
      // Rows of another job that happens to carry the name are not ours.
      if (job.schedulerId !== null && job.schedulerId !== row.schedulerId) return [];
      const indices = job.isArray ? (row.indices ?? []) : row.indices === null ? [0] : [];
      return indices
        .filter((index) => index < job.taskCount)
        .map((index) => ({
          name: row.name,
          schedulerId: row.schedulerId,
          index,
          state: row.state,
          reason: row.reason,
          exitCode: row.exitCode,
          signal: row.signal,
          cancelledBy: row.cancelledBy,
        }));
    });
  const fromAccounting = expand(accounting);
  for (const s of fromAccounting) put(s, (old) => !isTerminal(old.state) && isTerminal(s.state));
  for (const s of expand(live)) put(s, (old) => !isTerminal(old.state));
  return [...merged.values()];
}
