import type { StageName } from '../../config/schema.js';
import { executeStage } from '../../stages/execute.js';
import { createProgress } from '../progress.js';
import { cliLogger, CliExit, loadOrExit, untilSignal, withDb, type CliOptions } from '../runtime.js';
import { EXIT } from '../../core/exit-codes.js';

interface RunOptions extends CliOptions {
  stage: StageName;
  date?: string;
  dryRun?: boolean;
  force?: boolean;
}

export async function runCommand(pipeline: string, options: RunOptions): Promise<void> {
  if (options.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.date)) {
    throw new CliExit(EXIT.usage, `--date must be YYYY-MM-DD, not "${options.date}"`);
  }
  const config = await loadOrExit(options);
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
          ...(options.date === undefined ? {} : { date: options.date }),
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
  process.stdout.write(`${pipeline}/${options.stage}: ${outcome.ok ? 'ok' : 'FAILED'}: ${outcome.summary}\n`);
  if (!outcome.ok) process.exitCode = EXIT.failure;
}
