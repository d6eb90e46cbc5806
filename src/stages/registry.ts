import type { StageName, StageRunner } from './types.js';
import { runStage } from './run/index.js';
import { uploadStage } from './upload/index.js';
import { ingestStage } from './ingest/index.js';

export const STAGE_RUNNERS: Record<StageName, StageRunner> = {
  run: runStage,
  upload: uploadStage,
  ingest: ingestStage,
};
