import { compileCron } from '../config/cron-pattern.js';
import { clip } from '../core/printable.js';
import { keyText, type IncidentKey } from './kinds.js';
import { localText, spanText } from './local-time.js';
import { thresholdsFor, type AlertSettings } from './settings.js';
import type { HostBeat, OpenIncident, StageHistory, StateSnapshot } from './snapshot.js';
import type { StageSpec } from './stage-specs.js';
import { noVerdicts, type Verdicts } from './verdicts.js';

/** What an evaluation knows besides the snapshot: the configuration and this host's own view. */
export interface EvaluationContext {
  settings: AlertSettings;
  stages: readonly StageSpec[];
  /** When this process began watching: a stage with no history is not judged on slots before it. */
  watchingSince: Date;
  /** Targets this host cannot reach now, as its probes found. */
  unreachableTargets: ReadonlySet<string>;
}

/**
 * A failed run may still be turned into a retry by the scheduler that ran it, a moment
 * after it ended: it counts as failed for good only once it has stayed failed this long.
 */
export const FAILED_SETTLE_MS = 5_000;

/** Error codes of a stage that could not reach its target at all. */
const CONNECTION_CODES = new Set(['TRANSFER_FAILED', 'TIMEOUT']);

export function openByKey(open: readonly OpenIncident[]): Map<string, OpenIncident> {
  return new Map(open.map((o) => [keyText(o), o]));
}

/**
 * stage_failed (judged by the hosts that schedule the stage) and slot_missed (judged by
 * every host, so that a stage nobody runs is noticed).
 */
export function stageVerdicts(snapshot: StateSnapshot, ctx: EvaluationContext): Verdicts {
  const verdicts = noVerdicts();
  const open = openByKey(snapshot.open);
  const histories = new Map(snapshot.stages.map((h) => [`${h.pipeline}/${h.stage}`, h]));
  for (const spec of ctx.stages) {
    const history = histories.get(`${spec.pipeline}/${spec.stage}`) ?? null;
    const thresholds = thresholdsFor(ctx.settings, spec.pipeline);
    if (spec.here && thresholds.stageFailed.enabled) stageFailed(spec, history, snapshot.observedAt, ctx, open, verdicts);
    if (thresholds.slotMissed.enabled) slotMissed(spec, history, snapshot, thresholds.slotMissed.graceMs, ctx, open, verdicts);
  }
  return verdicts;
}

function stageFailed(
  spec: StageSpec,
  history: StageHistory | null,
  now: Date,
  ctx: EvaluationContext,
  open: Map<string, OpenIncident>,
  verdicts: Verdicts,
): void {
  const key: IncidentKey = { kind: 'stage_failed', pipeline: spec.pipeline, stage: spec.stage, subject: '' };
  const last = history?.last;
  if (!last) return;
  const where = `${spec.pipeline}/${spec.stage}`;
  if (last.state === 'succeeded') {
    if (open.has(keyText(key))) verdicts.resolve.push({ ...key, resolution: `${where} succeeded again (run ${last.id})` });
    return;
  }
  if (now.getTime() - last.finishedAt.getTime() < FAILED_SETTLE_MS) return;
  // A target this host cannot reach is told once, as unreachable, for all its stages.
  const toldAsUnreachable =
    ctx.settings.unreachable.enabled &&
    spec.target !== null &&
    ctx.unreachableTargets.has(spec.target) &&
    CONNECTION_CODES.has(last.errorCode ?? '');
  if (toldAsUnreachable) return;
  const attempts = last.attempt > 1 ? ` after ${last.attempt} attempts` : '';
  verdicts.open.push({
    ...key,
    summary: `${where} failed${attempts}: ${firstLine(last.error ?? last.errorCode ?? 'no error recorded')}`,
    details: {
      run: last.id,
      slot: last.slot.toISOString(),
      attempt: last.attempt,
      host: last.host,
      finishedAt: last.finishedAt.toISOString(),
      errorCode: last.errorCode,
      error: clip(last.error ?? '', 4000),
    },
    size: 1,
    notifyDelayMs: 0,
  });
}

function slotMissed(
  spec: StageSpec,
  history: StageHistory | null,
  snapshot: StateSnapshot,
  graceMs: number,
  ctx: EvaluationContext,
  open: Map<string, OpenIncident>,
  verdicts: Verdicts,
): void {
  const key: IncidentKey = { kind: 'slot_missed', pipeline: spec.pipeline, stage: spec.stage, subject: '' };
  const now = snapshot.observedAt;
  const due = latestSlot(spec, new Date(now.getTime() - graceMs));
  if (!due) return;
  const where = `${spec.pipeline}/${spec.stage}`;
  const ended = history?.lastDecisiveSlot ?? null;
  if (ended && ended.getTime() >= due.getTime()) {
    if (open.has(keyText(key))) {
      verdicts.resolve.push({ ...key, resolution: `a run of ${where} for the slot of ${localText(ended, spec.timezone)} has ended` });
    }
    return;
  }
  // A paused stage misses its slots on purpose; on resume, its catch-up ends them.
  if (snapshot.paused?.includes(where)) return;
  // Slots from before the stage existed are not missed: a new pipeline starts at its next slot.
  const existed = Math.min(ctx.watchingSince.getTime(), history?.firstSlot?.getTime() ?? Infinity);
  if (due.getTime() < existed) return;
  const idle = stoppedSchedulers(`${spec.pipeline}/${spec.stage}`, snapshot.hosts, now, ctx.settings);
  // Every host that schedules the stage has stopped: its host_stopped incident says so.
  if (ctx.settings.hostStopped.enabled && idle.scheduledBy > 0 && idle.stopped === idle.scheduledBy) return;
  const lastSuccess = history?.lastSuccessAt ? localText(history.lastSuccessAt, ctx.settings.timezone) : 'never';
  verdicts.open.push({
    ...key,
    summary: `${where}: no run has ended within ${spanText(graceMs)} of its slot of ${localText(due, spec.timezone)}; last success: ${lastSuccess}`,
    details: {
      slot: due.toISOString(),
      graceMs,
      lastSuccessAt: history?.lastSuccessAt?.toISOString() ?? null,
      lastEndedSlot: ended?.toISOString() ?? null,
      scheduledBy: idle.scheduledBy,
    },
    size: 1,
    notifyDelayMs: 0,
  });
}

/** The newest slot of the stage at or before `at`. */
export function latestSlot(spec: Pick<StageSpec, 'schedule' | 'timezone'>, at: Date): Date | null {
  // The scheduler's own reading of the pattern (Vixie day rules, DST), so a slot alerted on is one it fires.
  const { cron } = compileCron(spec.schedule, spec.timezone);
  // previousRuns is strictly before its reference.
  return cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

/** How late a host's heartbeat may be: the threshold, and never less than three of its beats. */
export function heartbeatLimitMs(host: HostBeat, settings: AlertSettings): number {
  return Math.max(settings.hostStopped.afterMs, 3 * host.heartbeatMs);
}

export function hostStopped(host: HostBeat, now: Date, settings: AlertSettings): boolean {
  return now.getTime() - host.heartbeatAt.getTime() > heartbeatLimitMs(host, settings);
}

function stoppedSchedulers(schedule: string, hosts: readonly HostBeat[], now: Date, settings: AlertSettings) {
  const scheduling = hosts.filter((h) => h.schedules.includes(schedule));
  return { scheduledBy: scheduling.length, stopped: scheduling.filter((h) => hostStopped(h, now, settings)).length };
}

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return clip(line.trim(), 300);
}
