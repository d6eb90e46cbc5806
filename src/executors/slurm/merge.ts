import { isTerminal } from '../states.js';
import type { TaskStatus, TrackedJob } from '../types.js';
import type { SchedulerRow } from './parse.js';

/**
 * One status per known task, from the accounting rows (sacct, or scontrol without
 * accounting) and the live rows (squeue). A terminal accounting row is final; otherwise
 * squeue is fresher: sacct lags behind slurmctld, most visibly for array tasks, and
 * shows a pending range long after its tasks started.
 *
 * A pending array whose tasks were all cancelled before any was split off its record is
 * listed by both under its bare id ("917", no task part): that row stands for every task
 * of the array that no row of its own names.
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
  const ours = (row: SchedulerRow): TrackedJob | undefined => {
    const job = byName.get(row.name);
    // Rows of another job that happens to carry the name are not ours.
    return job && (job.schedulerId === null || job.schedulerId === row.schedulerId) ? job : undefined;
  };
  const bare = (row: SchedulerRow) => row.indices === null && ours(row)?.isArray === true;
  const expand = (rows: readonly SchedulerRow[], whole: boolean): TaskStatus[] =>
    rows.flatMap((row) => {
      const job = ours(row);
      if (!job) return [];
      const indices = whole ? job.live : job.isArray ? (row.indices ?? []) : row.indices === null ? [0] : [];
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
          node: row.node,
        }));
    });
  for (const s of expand(
    accounting.filter((r) => !bare(r)),
    false,
  )) {
    put(s, (old) => !isTerminal(old.state) && isTerminal(s.state));
  }
  for (const s of expand(
    live.filter((r) => !bare(r)),
    false,
  )) {
    put(s, (old) => !isTerminal(old.state));
  }
  const named = new Set(merged.keys());
  const fill = (rows: readonly SchedulerRow[], replace: (old: TaskStatus) => boolean) => {
    for (const s of expand(rows.filter(bare), true)) if (!named.has(`${s.name}\0${s.index}`)) put(s, replace);
  };
  fill(accounting, () => false);
  fill(live, (old) => !isTerminal(old.state));
  return [...merged.values()];
}
