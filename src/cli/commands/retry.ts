import { STAGES, type StageName } from '../../config/schema.js';
import { EXIT } from '../../core/exit-codes.js';
import { operatorName } from '../../operations/operator.js';
import { retry } from '../../operations/retry.js';
import type { RetrySelection } from '../../operations/retry-select.js';
import { checkPipeline } from './pause.js';
import { cliLogger, CliExit, loadOrExit, untilSignal, withDb, type CliOptions } from '../runtime.js';

export interface RetryOptions extends CliOptions {
  stage?: StageName;
  obs?: string;
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
  checkPipeline(config, pipeline, options.stage);
  const configured = STAGES.filter((s) => config.pipelines.get(pipeline)!.config[s]);
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
  if (report.runs.some((r) => r.result.kind === 'done' && !r.result.outcome.ok)) process.exitCode = EXIT.failure;
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
  let since: Date | undefined;
  if (o.since !== undefined) {
    since = new Date(/^\d{4}-\d{2}-\d{2}$/.test(o.since) ? `${o.since}T00:00:00Z` : o.since);
    if (Number.isNaN(since.getTime())) throw usage(`--since must be a date (YYYY-MM-DD, UTC) or an ISO 8601 instant, not "${o.since}"`);
  }
  return {
    pipeline,
    stages: o.stage ? [o.stage] : [...configured],
    ...(o.obs === undefined ? {} : { obs: o.obs }),
    ...(o.set === undefined ? {} : { set: o.set }),
    ...(o.file === undefined ? {} : { file: o.file }),
    ...(since ? { since } : {}),
  };
}
