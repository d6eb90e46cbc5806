import { STAGES, type StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';
import { coerceError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { RunRow } from '../runs/runs.js';
import { slotKey } from '../scheduling/slot-ledger.js';
import { Schedule } from '../scheduling/slots.js';
import { explainWait } from '../executors/states.js';
import { waitingTasks } from '../stages/run/waits.js';
import { pauseMap, type Pause } from '../operations/pauses.js';
import { PENDING_COUNTERS, type PendingCounter } from './pending.js';
import { summarizeRuns } from './run-summary.js';

/** A run as status shows it: enough to act on, with the id for `nocturne logs`. */
export interface RunBrief {
  id: number;
  slot: string;
  trigger: string;
  state: string;
  host: string;
  startedAt: string;
  finishedAt: string | null;
  detail: string;
}

/** One stage of one pipeline, for people (`nocturne status`) and machines (`/api/pipelines`). */
export interface StageStatus {
  pipeline: string;
  stage: StageName;
  schedule: string;
  timezone: string;
  /** Whether this host's configuration runs the stage (host.stages). */
  onThisHost: boolean;
  next: string | null;
  running: RunBrief | null;
  /** A run still recorded as running whose holder is gone: it is not running. */
  stale?: { run: RunBrief; why: string };
  /** Paused (nocturne pause): no host starts a run of it until it is resumed. */
  paused?: { reason: string; by: string; since: string };
  last: RunBrief | null;
  lastSuccessAt: string | null;
  /** Work waiting, by kind; `error` instead when it could not be counted. */
  pending: Record<string, number>;
  pendingError?: string;
  /** Run stage: why its tasks wait in SLURM, per reason (every waiting task is in one group). */
  waiting?: WaitingTasks[];
  waitingError?: string;
}

/** Tasks waiting for one reason. */
export interface WaitingTasks {
  /** SLURM's reason, as it gave it, then explained where that helps. */
  reason: string;
  explained: string;
  tasks: number;
  since: string;
  obs: string[];
  jobs: Array<{ name: string; schedulerId: string | null }>;
}

export interface StatusOptions {
  now: Date;
  /** The running scheduler's next slots, when a daemon answers (else computed from now). */
  nextSlots?: Map<string, Date | null>;
  counters?: Record<StageName, PendingCounter>;
}

export async function stageStatuses(config: NocturneConfig, db: Db, options: StatusOptions): Promise<StageStatus[]> {
  const [runs, pauses] = await Promise.all([summarizeRuns(db), pauseMap(db)]);
  const counters = options.counters ?? PENDING_COUNTERS;
  const statuses: StageStatus[] = [];
  for (const [name, pipeline] of config.pipelines) {
    for (const stage of STAGES) {
      const stageConfig = pipeline.config[stage];
      if (!stageConfig) continue;
      const key = slotKey(name, stage);
      const history = runs.get(key);
      const next = options.nextSlots?.has(key)
        ? options.nextSlots.get(key)!
        : new Schedule(stageConfig.schedule, stageConfig.timezone).next(options.now);
      const status: StageStatus = {
        pipeline: name,
        stage,
        schedule: stageConfig.schedule,
        timezone: stageConfig.timezone,
        onThisHost: config.daemon.host.stages.includes(stage),
        next: next?.toISOString() ?? null,
        running: history?.running ? brief(history.running) : null,
        ...(history?.stale ? { stale: { run: brief(history.stale.run), why: history.stale.why } } : {}),
        ...pausedField(pauses.get(key)),
        last: history?.last ? brief(history.last) : null,
        lastSuccessAt: history?.lastSuccessAt?.toISOString() ?? null,
        pending: {},
      };
      try {
        status.pending = await counters[stage](db, pipeline);
      } catch (err) {
        status.pendingError = coerceError(err, 'DB_FAILED', `counting pending work of ${key}`).message;
      }
      if (stage === 'run') {
        try {
          status.waiting = (await waitingTasks(db, name)).map((w) => ({
            ...w,
            explained: explainWait(w.reason),
            since: w.since.toISOString(),
          }));
        } catch (err) {
          status.waitingError = coerceError(err, 'DB_FAILED', `reading why the tasks of ${key} wait`).message;
        }
      }
      statuses.push(status);
    }
  }
  return statuses;
}

function pausedField(pause: Pause | undefined): Pick<StageStatus, 'paused'> {
  return pause ? { paused: { reason: pause.reason, by: pause.pausedBy, since: pause.pausedAt.toISOString() } } : {};
}

function brief(run: RunRow): RunBrief {
  const stats = Object.entries(run.stats)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return {
    id: run.id,
    slot: run.slot.toISOString(),
    trigger: run.trigger,
    state: run.state,
    host: run.host,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at?.toISOString() ?? null,
    detail: run.error ?? stats,
  };
}
