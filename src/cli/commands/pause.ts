import type { StageName } from '../../config/schema.js';
import { operatorName } from '../../operations/operator.js';
import { pauseStages, pauseText, resumeStages } from '../../operations/pauses.js';
import { checkPipeline, textOption } from '../options.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface PauseOptions extends CliOptions {
  stage?: StageName;
  reason?: string;
}

/** A reason is a line for status and history, not a document. */
const MAX_REASON = 500;

/** `nocturne pause <pipeline> [--stage S] [--reason TEXT]`: no host starts a run of it until resumed. */
export async function pauseCommand(pipeline: string, options: PauseOptions): Promise<void> {
  const reason = options.reason === undefined ? '' : textOption('--reason', options.reason, MAX_REASON);
  const config = await loadOrExit(options);
  const stages = checkPipeline(config, pipeline, options.stage);
  const paused = await withDb(config, (db) =>
    pauseStages(db, { pipeline, stages, ...(options.stage ? { stage: options.stage } : {}), reason, by: operatorName() }),
  );
  for (const p of paused) process.stdout.write(`${p.pipeline}/${p.stage}: ${pauseText(p)}\n`);
  process.stdout.write('runs already under way finish; no new run starts on any host until `nocturne resume`\n');
}

/** `nocturne resume <pipeline> [--stage S]`: the slots that passed meanwhile follow each stage's catch-up policy. */
export async function resumeCommand(pipeline: string, options: Omit<PauseOptions, 'reason'>): Promise<void> {
  const config = await loadOrExit(options);
  checkPipeline(config, pipeline, options.stage);
  const lifted = await withDb(config, (db) =>
    resumeStages(db, { pipeline, ...(options.stage ? { stage: options.stage } : {}), by: operatorName() }),
  );
  if (lifted.length === 0) {
    process.stdout.write(`${pipeline}${options.stage ? `/${options.stage}` : ''}: was not paused\n`);
    return;
  }
  for (const p of lifted) process.stdout.write(`${p.pipeline}/${p.stage}: resumed (was ${pauseText(p)})\n`);
}
