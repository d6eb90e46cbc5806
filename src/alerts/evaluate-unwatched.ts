import type { EvaluationContext } from './evaluate-stages.js';
import type { AlertKind, IncidentKey } from './kinds.js';
import type { Thresholds } from './settings.js';
import type { OpenIncident } from './snapshot.js';
import { noVerdicts, type Verdicts } from './verdicts.js';

/** The kinds a pipeline's configuration watches, and the setting that turns each off. */
const PIPELINE_KINDS: Partial<Record<AlertKind, keyof Thresholds>> = {
  stage_failed: 'stageFailed',
  slot_missed: 'slotMissed',
  work_failed: 'workFailed',
  work_stuck: 'workStuck',
};

/**
 * Why the configuration no longer watches what an incident is about, or null while it
 * does: the cases in which no evaluation could open it (a kind turned off, for the stage
 * kinds a stage removed), so that none resolves it either. A pipeline this host does not
 * know is left alone: another host may still run it.
 */
export function unwatchedBecause(incident: IncidentKey, ctx: EvaluationContext): string | null {
  const setting = PIPELINE_KINDS[incident.kind];
  const thresholds = ctx.settings.pipelines.get(incident.pipeline);
  if (!setting || !thresholds) return null;
  if (!thresholds[setting].enabled) return `${setting} turned off for ${incident.pipeline}`;
  const stageKind = incident.kind === 'stage_failed' || incident.kind === 'slot_missed';
  if (stageKind && !ctx.stages.some((s) => s.pipeline === incident.pipeline && s.stage === incident.stage)) {
    return `${incident.pipeline}/${incident.stage} removed`;
  }
  return null;
}

/** Resolves the open incidents that the configuration (after a reload) no longer watches. */
export function unwatchedVerdicts(open: readonly OpenIncident[], ctx: EvaluationContext): Verdicts {
  const verdicts = noVerdicts();
  for (const incident of open) {
    const because = unwatchedBecause(incident, ctx);
    if (because === null) continue;
    verdicts.resolve.push({
      kind: incident.kind,
      pipeline: incident.pipeline,
      stage: incident.stage,
      subject: incident.subject,
      resolution: `no longer watched: configuration changed (${because})`,
    });
  }
  return verdicts;
}
