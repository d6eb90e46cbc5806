import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '../core/clock.js';
import { coerceError, NocturneError } from '../core/errors.js';
import type { LoadedPipeline, NocturneConfig } from '../config/types.js';
import type { StageName } from '../config/schema.js';
import type { Db } from '../db/database.js';
import type { Executor } from '../executors/types.js';
import { FairShareGate } from '../fair-share/gate.js';
import type { Logger } from '../log/logger.js';
import { discoverObservations, logRefused } from '../stages/run/discover.js';
import { defaultExecutor } from '../stages/run/index.js';
import { JobLedger } from '../stages/run/job-ledger.js';
import { JobTracker } from '../stages/run/job-tracker.js';
import { emptyStats } from '../stages/run/outcomes.js';
import { checkCommand, resolveRunSettings, type RunSettings } from '../stages/run/settings.js';
import type { Progress, StageContext } from '../stages/types.js';
import { Schedule } from '../scheduling/slots.js';
import { endCampaignJobs } from './cancel.js';
import { YieldToNightlyGate } from './yield-gate.js';
import { addNights, campaignLedger, CampaignStore, nightsBetween, takenOver, type Campaign } from './store.js';
import { CampaignWatch } from './watch.js';

export interface DriveOptions {
  config: NocturneConfig;
  db: Db;
  logger: Logger;
  /** Stops the driver (shutdown): the campaign's SLURM jobs keep running, re-attached next time. */
  signal: AbortSignal;
  clock?: Clock;
  progress?: Progress;
  /** Builds the executor (default: the real one of the pipeline's run stage). */
  executor?: (settings: RunSettings, ctx: StageContext) => Executor;
  /** Runs another stage of the campaign's list after each batch (default: none is run). */
  runStage?: (pipeline: string, stage: StageName) => Promise<void>;
  /** How often the driver says it is alive and reads the campaign's state. @default 5_000 */
  heartbeatMs?: number;
}

/** How a drive ended: the campaign's state when the driver let go of it. */
export interface DriveResult {
  campaign: Campaign;
  /** Tasks submitted and ended by this driver. */
  submitted: number;
  completed: number;
  failed: number;
}

const noProgress: Progress = { update() {}, done() {} };

/**
 * The run stage's settings for a campaign: its own ledger name (job names, work and log
 * directories), its throttle as the array's %N and its submission cap, and its priority.
 * The outbox is the pipeline's: upload and ingest carry the outputs as they do a night's.
 */
export function campaignSettings(base: RunSettings, c: Campaign, config: NocturneConfig): RunSettings {
  const ledger = campaignLedger(c.pipeline, c.id);
  return {
    ...base,
    pipeline: ledger,
    workDir: path.join(config.paths.work, 'run', ledger),
    logDir: path.join(config.paths.logs, ledger),
    array: { throttle: c.maxRunning },
    caps: { ledger: c.maxRunning, global: base.caps.global },
    resources: { ...base.resources, nice: c.nice, ...(c.qos === null ? {} : { qos: c.qos }) },
  };
}

/**
 * Drives one campaign to its end, a batch of nights at a time: each batch is the run
 * stage's work (discover, register in the campaign's ledger, submit job arrays, follow
 * them, retry), then the campaign's other stages, then the batch is recorded as done. A
 * driver killed at any point is replaced by the next (`backfill resume`, or the daemon),
 * which re-attaches to the batch's jobs exactly as a run re-attaches to a night's.
 */
export async function driveCampaign(id: number, options: DriveOptions): Promise<DriveResult> {
  const store = new CampaignStore(options.db);
  let campaign = await store.claim(id);
  const result = { submitted: 0, completed: 0, failed: 0 };
  const log = options.logger.child({ campaign: id, pipeline: campaign.pipeline });
  const stop = new AbortController();
  const onStop = () => stop.abort(options.signal.reason);
  options.signal.addEventListener('abort', onStop, { once: true });
  // A person pauses or cancels in the database, another driver may take over: the driver
  // notices at its next heartbeat, submission or poll, whichever comes first.
  const watch = new CampaignWatch(store, id, stop);
  const beat = setInterval(() => {
    watch.check().catch((err: unknown) => log.warn({ err: coerceError(err) }, 'campaign heartbeat failed; trying again'));
  }, options.heartbeatMs ?? 5_000);
  try {
    if (campaign.state !== 'running') return { campaign, ...result };
    const pipeline = options.config.pipelines.get(campaign.pipeline);
    if (!pipeline?.config.run) {
      throw new NocturneError('CAMPAIGN_INVALID', `campaign ${id}: pipeline ${campaign.pipeline} has no run stage in this configuration`);
    }
    if (pipeline.config.code.version !== campaign.codeVersion) {
      const why = `campaign ${id} was made for ${campaign.pipeline} code version ${campaign.codeVersion}, the configuration now says ${pipeline.config.code.version}: cancel it and start a new campaign for the new version`;
      campaign = await store.transition(id, ['running'], 'failed', why);
      throw new NocturneError('CAMPAIGN_INVALID', why);
    }
    while (campaign.state === 'running' && campaign.nextNight <= campaign.to && !stop.signal.aborted) {
      const last = [addNights(campaign.nextNight, campaign.batchNights - 1), campaign.to].sort()[0]!;
      const complete = await driveBatch(campaign, pipeline, last, watch, stop.signal, options, result, log);
      if (!complete) break;
      for (const stage of campaign.stages.filter((s): s is StageName => s === 'upload' || s === 'ingest')) {
        if (stop.signal.aborted) break;
        await options.runStage?.(campaign.pipeline, stage);
      }
      if (stop.signal.aborted) break;
      const next = addNights(last, 1);
      await store.advance(id, next, next > campaign.to);
      log.info({ nights: `${campaign.nextNight}..${last}` }, 'campaign batch done');
      campaign = await store.get(id);
    }
    if (watch.takenOver) throw takenOver(id);
    return { campaign: await store.get(id), ...result };
  } finally {
    clearInterval(beat);
    options.signal.removeEventListener('abort', onStop);
    await store.release(id);
  }
}

/** One batch of nights through the run stage's machinery; true when every observation of it has ended. */
async function driveBatch(
  c: Campaign,
  pipeline: LoadedPipeline,
  last: string,
  watch: CampaignWatch,
  signal: AbortSignal,
  options: DriveOptions,
  result: { submitted: number; completed: number; failed: number },
  log: Logger,
): Promise<boolean> {
  const ctx: StageContext = {
    config: options.config,
    pipeline,
    db: options.db,
    logger: log,
    clock: options.clock ?? systemClock,
    signal,
    runId: 0,
    slot: new Date(),
    date: last,
    dryRun: false,
    progress: options.progress ?? noProgress,
    print: () => {},
  };
  const settings = campaignSettings(resolveRunSettings(ctx), c, options.config);
  await checkCommand(settings);
  const nights = nightsBetween(c.nextNight, last);
  const { observations: found, refused } = await discoverObservations(settings.inputGlob, last, nights - 1);
  logRefused(log, settings.pipeline, refused);
  const ledger = new JobLedger(options.db, settings.pipeline);
  await ledger.register(found);
  await mkdir(settings.outbox, { recursive: true });
  const executor = watch.executor((options.executor ?? defaultExecutor)(settings, ctx));
  const stats = { ...emptyStats(), observations: found.length };
  const share = new FairShareGate(options.db, settings.pipeline, settings.caps);
  const { yieldToNightly, yieldBeforeMs } = options.config.daemon.campaigns;
  const gate = watch.gate(
    yieldToNightly
      ? new YieldToNightlyGate(options.db, share, {
          schedules: nightlySchedules(options.config),
          clock: ctx.clock,
          beforeMs: yieldBeforeMs,
        })
      : share,
  );
  const tracker = new JobTracker({ ctx, settings, executor, ledger, stats, setAside: [], gate });
  await tracker.load();
  const outcome = await tracker.run();
  result.submitted += stats.submitted;
  result.completed += stats.completed;
  result.failed += stats.failed;
  if (signal.aborted) {
    // A job submitted as the cancel was being recorded escaped it: ended here, by the
    // driver that submitted it (a driver taken over leaves them to its successor).
    const now = await new CampaignStore(options.db).get(c.id);
    if (now.state === 'cancelled' && !watch.takenOver) await endCampaignJobs(options.db, now, executor);
    return false;
  }
  // Observations set aside as failed are the campaign's result, not a reason to stop it;
  // observations left pending (SLURM refused or unreachable) are: the next driver retries.
  const left = (await ledger.pending()).length;
  if (left > 0) {
    throw new NocturneError(
      outcome.error?.code ?? 'INTERNAL',
      `campaign ${c.id}: ${left} observation(s) of nights ${c.nextNight}..${last} not submitted: ${outcome.error?.message ?? outcome.summary}`,
      { retryable: outcome.error?.retryable ?? true, cause: outcome.error },
    );
  }
  return true;
}

/** The run stages' schedules of the configuration's pipelines: the nightly runs a campaign yields to. */
function nightlySchedules(config: NocturneConfig): Schedule[] {
  return [...config.pipelines.values()].flatMap(({ config: p }) => (p.run ? [new Schedule(p.run.schedule, p.run.timezone)] : []));
}
