import { compileDaemon, compilePipeline } from '../../../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema, type StageName } from '../../../src/config/schema.js';
import type { LoadedPipeline, NocturneConfig } from '../../../src/config/types.js';
import type { EvaluationContext } from '../../../src/alerts/evaluate-stages.js';
import { alertSettings, type AlertSettings } from '../../../src/alerts/settings.js';
import type { DecisiveRun, HostBeat, OpenIncident, StageHistory, StateSnapshot } from '../../../src/alerts/snapshot.js';
import { stageSpecs } from '../../../src/alerts/stage-specs.js';
import { MINIMAL } from '../scheduling/test-config.js';

export interface PipelineSpec {
  /** Stage → its keys beyond the minimal ones (schedule is required). */
  stages: Partial<Record<StageName, Record<string, unknown>>>;
  alerts?: Record<string, unknown>;
}

/** A validated configuration with an alerts section, for the pure parts of alerting. */
export function alertConfig(
  pipelines: Record<string, PipelineSpec>,
  alerts: Record<string, unknown> = {},
  daemon: Record<string, unknown> = {},
): NocturneConfig {
  const loaded = new Map<string, LoadedPipeline>();
  for (const [name, spec] of Object.entries(pipelines)) {
    const raw: Record<string, unknown> = { name, code: { name, version: '1.0' }, ...(spec.alerts ? { alerts: spec.alerts } : {}) };
    for (const [stage, keys] of Object.entries(spec.stages)) raw[stage] = { ...MINIMAL[stage as StageName], ...keys };
    loaded.set(name, { config: compilePipeline(pipelineSchema.parse(raw)), file: `/etc/nocturne/pipelines/${name}.yaml` });
  }
  const settings = daemonConfigSchema.parse({
    host: { name: 'tycho' },
    database: { url: 'postgres://nocturne@db/nocturne' },
    targets: { archive: { type: 'local', path: '/srv/archive' } },
    alerts,
    ...daemon,
  });
  const state = settings.paths.state;
  return {
    dir: '/etc/nocturne',
    daemon: compileDaemon(settings),
    paths: { state, outbox: `${state}/outbox`, quarantine: `${state}/quarantine`, logs: `${state}/logs`, work: `${state}/work` },
    pipelines: loaded,
  };
}

export function settingsOf(config: NocturneConfig): AlertSettings {
  const settings = alertSettings(config);
  if (!settings) throw new Error('no alerts section');
  return settings;
}

export function contextOf(config: NocturneConfig, overrides: Partial<EvaluationContext> = {}): EvaluationContext {
  return {
    settings: settingsOf(config),
    stages: stageSpecs(config),
    watchingSince: new Date('2026-01-01T00:00:00Z'),
    unreachableTargets: new Set(),
    ...overrides,
  };
}

export function snapshot(observedAt: string, parts: Partial<Omit<StateSnapshot, 'observedAt'>> = {}): StateSnapshot {
  return { observedAt: new Date(observedAt), open: [], stages: [], failed: [], waiting: [], hosts: [], ...parts };
}

export function history(pipeline: string, stage: StageName, parts: Partial<Omit<StageHistory, 'pipeline' | 'stage'>> = {}): StageHistory {
  return { pipeline, stage, last: null, lastSuccessAt: null, lastDecisiveSlot: null, firstSlot: null, ...parts };
}

export function run(parts: Partial<DecisiveRun> & Pick<DecisiveRun, 'state' | 'finishedAt'>): DecisiveRun {
  return {
    id: 7,
    slot: parts.slot ?? parts.finishedAt,
    errorCode: null,
    error: null,
    startedAt: parts.finishedAt,
    host: 'tycho',
    attempt: 1,
    ...parts,
  };
}

export function openIncident(parts: Partial<OpenIncident> & Pick<OpenIncident, 'kind'>): OpenIncident {
  return {
    id: 1,
    pipeline: '',
    stage: '',
    subject: '',
    openedAt: new Date('2026-01-01T00:00:00Z'),
    summary: 's',
    details: {},
    size: 1,
    ...parts,
  };
}

export function host(name: string, heartbeatAt: string, parts: Partial<HostBeat> = {}): HostBeat {
  return { name, version: '0.1.0', heartbeatAt: new Date(heartbeatAt), heartbeatMs: 30_000, stoppedAt: null, schedules: [], ...parts };
}

export const at = (iso: string) => new Date(iso);
