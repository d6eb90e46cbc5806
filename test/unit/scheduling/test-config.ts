import { daemonConfigSchema, pipelineSchema, type StageName } from '../../../src/config/schema.js';
import type { LoadedPipeline, NocturneConfig } from '../../../src/config/types.js';

/** The scheduling keys of a stage (everything else gets a minimal valid value). */
export interface StageTiming {
  schedule: string;
  timezone?: string;
  catchUp?: 'none' | 'latest' | 'all';
  maxCatchUp?: number;
  overrun?: 'wait' | 'skip';
  retries?: number;
  timeout?: string;
}

/** Each stage's required keys besides its timing, with values that validate. */
export const MINIMAL: Record<StageName, Record<string, unknown>> = {
  run: { command: ['/opt/codes/detect.sh', '{input}'], inputs: { glob: '/data/{yyyy}/*.fits' } },
  upload: { target: 'archive', remoteDir: '/hfc/{code}/{yyyy}' },
  ingest: {
    source: { dir: '/data/csv' },
    table: 'hfc.features',
    columns: { feature_id: { from: 'id', type: 'bigint' } },
    naturalKey: ['feature_id'],
  },
};

/** A validated configuration with the given pipelines and their stages' timing. */
export function testConfig(
  pipelines: Record<string, Partial<Record<StageName, StageTiming>>>,
  daemon: Record<string, unknown> = {},
): NocturneConfig {
  const loaded = new Map<string, LoadedPipeline>();
  for (const [name, stages] of Object.entries(pipelines)) {
    const raw: Record<string, unknown> = { name, code: { name, version: '1.0' } };
    for (const [stage, timing] of Object.entries(stages)) raw[stage] = { ...MINIMAL[stage as StageName], ...timing };
    loaded.set(name, { config: pipelineSchema.parse(raw), file: `/etc/nocturne/pipelines/${name}.yaml` });
  }
  const settings = daemonConfigSchema.parse({ database: { url: 'postgres://nocturne@db/nocturne' }, ...daemon });
  const state = settings.paths.state;
  return {
    dir: '/etc/nocturne',
    daemon: settings,
    paths: { state, outbox: `${state}/outbox`, quarantine: `${state}/quarantine`, logs: `${state}/logs`, work: `${state}/work` },
    pipelines: loaded,
  };
}
