import { plural } from '../../core/printable.js';
import os from 'node:os';
import { cancelCampaign } from '../../campaigns/cancel.js';
import { campaignLine, campaignView } from '../../campaigns/describe.js';
import { driveCampaign } from '../../campaigns/driver.js';
import { CampaignStore, nightsBetween, type Campaign } from '../../campaigns/store.js';
import type { StageName } from '../../config/schema.js';
import type { NocturneConfig } from '../../config/types.js';
import { EXIT } from '../../core/exit-codes.js';
import type { Db } from '../../db/database.js';
import { createExecutor } from '../../executors/create-executor.js';
import type { Logger } from '../../log/logger.js';
import { executeStage } from '../../stages/execute.js';
import { createProgress } from '../progress.js';
import { checkPipeline, nightOption, wholeNumber } from '../options.js';
import { cliLogger, CliExit, loadOrExit, withDb, type CliOptions } from '../runtime.js';

export interface BackfillOptions extends CliOptions {
  from?: string;
  to?: string;
  stages?: string;
  maxRunning?: string;
  nice?: string;
  qos?: string;
  batchNights?: string;
  detach?: boolean;
  json?: boolean;
}

const ACTIONS = ['status', 'pause', 'resume', 'cancel'] as const;

/**
 * `nocturne backfill <pipeline> --from --to`: records a campaign and drives it (unless
 * --detach); `backfill status [id]`, `pause <id>`, `resume <id>` (drives it again),
 * `cancel <id>` (scancels its jobs).
 */
export async function backfillCommand(first: string, id: string | undefined, options: BackfillOptions): Promise<void> {
  const config = await loadOrExit(options);
  const logger = cliLogger(config);
  const action = (ACTIONS as readonly string[]).includes(first) ? (first as (typeof ACTIONS)[number]) : null;
  if (action === null) return create(first, options, config, logger);
  if (action === 'status') return status(id === undefined ? undefined : wholeNumber('<id> (a campaign number)', id, 1), options, config);
  if (id === undefined) {
    throw new CliExit(EXIT.usage, `backfill ${action} needs the campaign's number (\`nocturne backfill status\` lists them)`);
  }
  const n = wholeNumber('<id> (a campaign number)', id, 1);
  await withDb(config, async (db) => {
    const store = new CampaignStore(db);
    if (action === 'pause') {
      const c = await store.transition(n, ['running'], 'paused');
      say(
        `campaign ${c.id} paused: it submits nothing more; tasks in SLURM end on their own and are recorded at \`nocturne backfill resume ${c.id}\``,
      );
    } else if (action === 'cancel') {
      const c = await store.get(n);
      const executor = createExecutor({
        kind: config.pipelines.get(c.pipeline)?.config.run?.executor ?? config.daemon.executor.type,
        logger,
        lostAfterMs: config.daemon.executor.slurm.lostAfterMs,
        concurrency: 1,
      });
      const { tasks } = await cancelCampaign(db, n, executor);
      say(`campaign ${n} cancelled: ${tasks} task(s) cancelled in SLURM; what was done stays done`);
    } else {
      const c = await store.get(n);
      if (c.state === 'paused') await store.transition(n, ['paused'], 'running');
      else if (c.state !== 'running') await store.transition(n, ['paused', 'running'], 'running');
      await drive(n, config, db, logger);
    }
  });
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function positive(text: string | undefined, option: string, fallback: number, min = 1): number {
  return text === undefined ? fallback : wholeNumber(option, text, min);
}

async function create(pipelineName: string, options: BackfillOptions, config: NocturneConfig, logger: Logger): Promise<void> {
  const configured = checkPipeline(config, pipelineName);
  const pipeline = config.pipelines.get(pipelineName)!;
  if (!pipeline.config.run) throw new CliExit(EXIT.usage, `${pipeline.file} has no run stage: a campaign reprocesses observations with it`);
  if (options.from === undefined || options.to === undefined) {
    throw new CliExit(
      EXIT.usage,
      `--from and --to name the first and last nights, YYYY-MM-DD (given ${options.from ?? '-'} and ${options.to ?? '-'})`,
    );
  }
  const [from, to] = [nightOption('--from', options.from), nightOption('--to', options.to)];
  if (nightsBetween(from, to) < 1) throw new CliExit(EXIT.usage, `--from must not be after --to (given ${from} and ${to})`);
  // By default every stage the pipeline has; a stage it lacks cannot be asked for.
  const stages = options.stages === undefined ? configured : options.stages.split(',').map((s) => s.trim());
  const unknown = stages.filter((s) => !(configured as readonly string[]).includes(s));
  if (unknown.length > 0 || !stages.includes('run')) {
    throw new CliExit(
      EXIT.usage,
      `--stages must list run, then upload and/or ingest among the stages of ${pipeline.file} (${configured.join(', ')}); given "${options.stages}"`,
    );
  }
  const defaults = config.daemon.campaigns;
  await withDb(config, async (db) => {
    const c = await new CampaignStore(db).create({
      pipeline: pipelineName,
      from,
      to,
      stages,
      batchNights: positive(options.batchNights, '--batch-nights', defaults.batchNights),
      maxRunning: positive(options.maxRunning, '--max-running', defaults.maxRunning),
      nice: positive(options.nice, '--nice', defaults.nice, 0),
      qos: options.qos ?? defaults.qos ?? null,
      codeVersion: pipeline.config.code.version,
      createdBy: `${os.userInfo().username}@${os.hostname()}`,
    });
    say(
      `campaign ${c.id} recorded: ${c.pipeline} ${c.from}..${c.to} (${plural(nightsBetween(c.from, c.to), 'night')}), code ${c.codeVersion}`,
    );
    if (options.detach) {
      say(`not driven here (--detach): the daemon takes it, or \`nocturne backfill resume ${c.id}\``);
      return;
    }
    await drive(c.id, config, db, logger);
  });
}

async function status(id: number | undefined, options: BackfillOptions, config: NocturneConfig): Promise<void> {
  const views = await withDb(config, async (db) => {
    const store = new CampaignStore(db);
    if (id === undefined) return store.views();
    // An unknown number is CAMPAIGN_INVALID here as for pause, resume and cancel (store.get).
    const c = await store.get(id);
    return [campaignView(c, await store.progress(c))];
  });
  if (options.json) say(JSON.stringify(views, null, 2));
  else say(views.length === 0 ? 'no campaigns' : views.map(campaignLine).join('\n'));
}

/** Drives the campaign in this process until it is done, paused, cancelled or the process is stopped (Ctrl-C). */
async function drive(id: number, config: NocturneConfig, db: Db, logger: Logger): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted by signal'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = createProgress(process.stderr, `campaign ${id}: `);
  try {
    const result = await driveCampaign(id, {
      config,
      db,
      logger,
      signal: controller.signal,
      progress,
      runStage: async (pipeline: string, stage: StageName) => {
        const r = await executeStage(
          { config, db, logger, signal: controller.signal },
          { pipeline, stage, slot: new Date(), trigger: 'manual' },
        );
        if (r.kind === 'not-run') {
          logger.info({ pipeline, stage, reason: r.reason }, 'campaign: stage not run now; its next slot takes the outputs');
        }
      },
    });
    progress.done();
    say(
      `${ending(result.campaign)}: this process submitted ${result.submitted} task(s), ${result.completed} completed, ${result.failed} failed`,
    );
    if (result.campaign.state === 'failed') process.exitCode = EXIT.failure;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function ending(c: Campaign): string {
  if (c.state === 'running') return `campaign ${c.id} stopped at night ${c.nextNight}; \`nocturne backfill resume ${c.id}\` goes on`;
  return `campaign ${c.id} ${c.state}${c.error ? ` (${c.error})` : ''}`;
}
