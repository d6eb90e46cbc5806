import type { StageName } from '../../config/schema.js';
import type { NocturneConfig } from '../../config/types.js';
import { EXIT } from '../../core/exit-codes.js';
import { operatorName } from '../../operations/operator.js';
import { pauseStages, pauseText, resumeStages } from '../../operations/pauses.js';
import { CliExit, loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface PauseOptions extends CliOptions {
  stage?: StageName;
  reason?: string;
}

/** `nocturne pause <pipeline> [--stage S] [--reason TEXT]`: no host starts a run of it until resumed. */
export async function pauseCommand(pipeline: string, options: PauseOptions): Promise<void> {
  const config = await loadOrExit(options);
  checkPipeline(config, pipeline, options.stage);
  const paused = await withDb(config, (db) =>
    pauseStages(db, { pipeline, ...(options.stage ? { stage: options.stage } : {}), reason: options.reason ?? '', by: operatorName() }),
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

/** A pipeline unknown here is refused: a typo would otherwise pause nothing, silently. */
export function checkPipeline(config: NocturneConfig, pipeline: string, stage?: StageName): void {
  const found = config.pipelines.get(pipeline);
  if (!found) {
    const known = [...config.pipelines.keys()].join(', ') || 'none';
    throw new CliExit(EXIT.usage, `no pipeline named "${pipeline}" in ${config.dir}/pipelines (known: ${known})`);
  }
  if (stage && !found.config[stage]) throw new CliExit(EXIT.usage, `pipeline "${pipeline}" (${found.file}) has no ${stage} stage`);
}
