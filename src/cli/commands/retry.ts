import type { StageName } from '../../config/schema.js';
import { EXIT } from '../../core/exit-codes.js';
import { operatorName } from '../../operations/operator.js';
import { compileGlob } from '../../operations/glob.js';
import { retry } from '../../operations/retry.js';
import type { RetrySelection } from '../../operations/retry-select.js';
import { outcomeWord } from '../../stages/execute.js';
import { checkPipeline, instantOption, nightOption } from '../options.js';
import { cliLogger, CliExit, loadOrExit, untilSignal, withDb, type CliOptions } from '../runtime.js';

export interface RetryOptions extends CliOptions {
  stage?: StageName;
  obs?: string;
  night?: string;
  set?: string;
  file?: string;
  failed?: boolean;
  since?: string;
  now?: boolean;
  dryRun?: boolean;
}

/** `nocturne retry <pipeline>`: see docs/operating.md, Retry what failed. */
export async function retryCommand(pipeline: string, options: RetryOptions): Promise<void> {
  const config = await loadOrExit(options);
  const configured = checkPipeline(config, pipeline, options.stage);
  const selection = retrySelection(pipeline, options, configured);
  const logger = cliLogger(config);
  const report = await untilSignal((signal) =>
    withDb(config, (db) =>
      retry(
        { config, db, logger, signal, print: (line) => process.stdout.write(`${line}\n`) },
        { selection, by: operatorName(), dryRun: options.dryRun ?? false, now: options.now ?? false },
      ),
    ),
  );
  if (report.runs.some((r) => r.result.kind === 'done' && outcomeWord(r.result.outcome) === 'FAILED')) process.exitCode = EXIT.failure;
}

/** The options as a selection, or a usage error saying what is missing. */
export function retrySelection(pipeline: string, o: RetryOptions, configured: readonly StageName[]): RetrySelection {
  const usage = (text: string) => new CliExit(EXIT.usage, `nocturne retry ${pipeline}: ${text}`);
  if (!o.failed && !o.stage) throw usage('say what to retry: --stage run|ingest|upload with its selector, or --failed [--since DATE]');
  if (o.obs !== undefined && o.stage !== 'run') throw usage('--obs selects observations of --stage run');
  if (o.set !== undefined && o.stage !== 'ingest') throw usage('--set selects file sets of --stage ingest');
  if (o.file !== undefined && o.stage !== 'ingest' && o.stage !== 'upload') {
    throw usage('--file selects files of --stage ingest or --stage upload');
  }
  if (!o.failed && o.stage === 'run' && o.obs === undefined) throw usage('--stage run needs --obs GLOB (or --failed)');
  if (!o.failed && o.stage === 'ingest' && o.set === undefined && o.file === undefined) {
    throw usage('--stage ingest needs --set KEY or --file PATH (or --failed)');
  }
  if (o.night !== undefined && o.stage !== 'run') throw usage('--night selects observations of --stage run');
  for (const [option, glob] of [
    ['--obs', o.obs],
    ['--set', o.set],
    ['--file', o.file],
  ] as const) {
    const compiled = glob === undefined ? null : compileGlob(glob);
    if (compiled && 'problem' in compiled) throw usage(`${option}: ${compiled.problem}`);
  }
  const since = o.since === undefined ? undefined : instantOption('--since', o.since);
  return {
    pipeline,
    stages: o.stage ? [o.stage] : [...configured],
    ...(o.obs === undefined ? {} : { obs: o.obs }),
    ...(o.night === undefined ? {} : { night: nightOption('--night', o.night) }),
    ...(o.set === undefined ? {} : { set: o.set }),
    ...(o.file === undefined ? {} : { file: o.file }),
    ...(since ? { since } : {}),
  };
}
