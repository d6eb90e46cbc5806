import type { StageName, StageRunner } from './types.js';

/**
 * Each stage's module is imported when that stage first runs: `nocturne run --stage
 * ingest` then never loads sharp, ssh2 or the FTP client (some 20 MiB and 0.2 s of CPU
 * at every start of the CLI).
 */
const LOADERS: Record<StageName, () => Promise<StageRunner>> = {
  run: async () => (await import('./run/index.js')).runStage,
  upload: async () => (await import('./upload/index.js')).uploadStage,
  ingest: async () => (await import('./ingest/index.js')).ingestStage,
};

export function stageRunner(stage: StageName): Promise<StageRunner> {
  return LOADERS[stage]();
}
