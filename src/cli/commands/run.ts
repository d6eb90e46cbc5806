import type { StageName } from '../../config/schema.js';
import { executeStage, outcomeWord } from '../../stages/execute.js';
import { createProgress } from '../progress.js';
import { checkPipeline, nightOption } from '../options.js';
import { cliLogger, CliExit, loadOrExit, untilSignal, withDb, type CliOptions } from '../runtime.js';
import { EXIT } from '../../core/exit-codes.js';

interface RunOptions extends CliOptions {
  stage: StageName;
  date?: string;
  dryRun?: boolean;
  force?: boolean;
}

export async function runCommand(pipeline: string, options: RunOptions): Promise<void> {
  const date = options.date === undefined ? undefined : nightOption('--date', options.date);
  const config = await loadOrExit(options);
  checkPipeline(config, pipeline, options.stage);
  const logger = cliLogger(config);
  const result = await untilSignal((signal) =>
    withDb(config, (db) =>
      executeStage(
        {
          config,
          db,
          logger,
          signal,
          progress: createProgress(process.stderr, `${pipeline}/${options.stage}: `),
          print: (line) => process.stdout.write(`${line}\n`),
        },
        {
          pipeline,
          stage: options.stage,
          // A manual run stands for the moment it was asked for: its own slot in the history.
          slot: new Date(),
          trigger: 'manual',
          ...(date === undefined ? {} : { date }),
          dryRun: options.dryRun ?? false,
          force: options.force ?? false,
        },
      ),
    ),
  );
  if (result.kind === 'not-run') {
    throw new CliExit(EXIT.unavailable, result.paused ? `STAGE_PAUSED: ${result.reason}; or run it anyway with --force` : result.reason);
  }
  const { outcome } = result;
  const word = outcomeWord(outcome);
  process.stdout.write(`${pipeline}/${options.stage}: ${word}: ${outcome.summary}\n`);
  // A skipped run (the disk guard) is not a failure: it exits 0, as it opens no incident.
  if (word === 'FAILED') process.exitCode = EXIT.failure;
}
