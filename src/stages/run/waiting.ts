import { explainWait, isRoutineWait, needsPerson } from '../../executors/states.js';
import type { Logger } from '../../log/logger.js';
import type { LiveTask } from './endings.js';
import type { JobRecord } from './job-ledger.js';

type Note = 'waits' | 'waits long' | 'requeued';

/** "42 s", "31 min", "5 h" */
function waited(ms: number): string {
  if (ms < 90_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 90 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

interface Group {
  job: JobRecord;
  reason: string;
  note: Note;
  since: number;
  obs: string[];
}

/** The waits to record after one poll: per job, the tasks whose reason changed. */
export type WaitChanges = Map<JobRecord, Array<{ index: number; reason: string; since: Date }>>;

/**
 * Follows why tasks wait, from SLURM's reason at each poll: records a change of reason,
 * says in the log when tasks begin to wait for something other than their turn, and
 * warns once when a wait that needs a person (a hold, a drained node) lasts longer than
 * `warnAfterMs`. Lines are grouped by job and reason: a held array of a thousand tasks
 * is one line, not a thousand.
 */
export class WaitWatch {
  readonly #groups = new Map<string, Group>();
  #changes: WaitChanges = new Map();

  constructor(
    private readonly pipeline: string,
    private readonly warnAfterMs: number,
  ) {}

  /** A task SLURM reports as waiting (PENDING, or another state that is neither running nor ended). */
  see(job: JobRecord, task: LiveTask, reason: string | null, now: number): void {
    const why = reason ?? 'None';
    const requeued = task.state === 'running';
    if (requeued) task.state = 'pending';
    if (why !== task.waitReason || requeued) {
      task.waitReason = why;
      task.waitingSince = new Date(now);
      task.waitWarned = false;
      this.#changes.set(job, [...(this.#changes.get(job) ?? []), { index: task.index, reason: why, since: task.waitingSince }]);
      if (requeued) this.#note(job, task, why, 'requeued', now);
      else if (!isRoutineWait(why)) this.#note(job, task, why, 'waits', now);
    }
    const since = task.waitingSince?.getTime() ?? now;
    if (!task.waitWarned && needsPerson(why) && now - since >= this.warnAfterMs) {
      task.waitWarned = true;
      this.#note(job, task, why, 'waits long', since);
    }
  }

  #note(job: JobRecord, task: LiveTask, reason: string, note: Note, since: number): void {
    const key = `${job.name}\0${reason}\0${note}`;
    const group = this.#groups.get(key) ?? { job, reason, note, since, obs: [] };
    group.obs.push(task.obs);
    group.since = Math.min(group.since, since);
    this.#groups.set(key, group);
  }

  /** The changes of reason seen since the last call, to record. */
  takeChanges(): WaitChanges {
    const changes = this.#changes;
    this.#changes = new Map();
    return changes;
  }

  /** Writes the lines of this poll. */
  flush(logger: Logger, now: number): void {
    for (const { job, reason, note, since, obs } of this.#groups.values()) {
      const id = job.schedulerId === null ? '' : ` (SLURM ${job.schedulerId})`;
      const tasks = `${obs.length} task${obs.length === 1 ? '' : 's'}`;
      const head = `${this.pipeline}: job ${job.name}${id}:`;
      const fields = { job: job.name, schedulerId: job.schedulerId, reason, obs: obs.slice(0, 20) };
      if (note === 'waits long') {
        logger.warn(fields, `${head} ${tasks} waiting for ${waited(now - since)}: ${explainWait(reason)}`);
      } else if (note === 'requeued') {
        logger.warn(fields, `${head} ${tasks} requeued by SLURM, waiting again: ${explainWait(reason)}`);
      } else {
        logger.info(fields, `${head} ${tasks} waiting: ${explainWait(reason)}`);
      }
    }
    this.#groups.clear();
  }
}
