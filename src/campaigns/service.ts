import { firstSighting } from '../log/first-sighting.js';
import { coerceError } from '../core/errors.js';
import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import type { ExecuteFn } from '../scheduling/scheduler.js';
import { CampaignStore, STALE_SECONDS } from './store.js';

export interface CampaignServiceDeps {
  db: Db;
  config: () => NocturneConfig;
  logger: Logger;
  /** How the campaign's other stages (upload, ingest) run after each batch: as the scheduler runs them. */
  execute: ExecuteFn;
  /** How often running campaigns without a live driver are looked for. @default 10_000 */
  intervalMs?: number;
}

/**
 * The daemon's share of campaigns: every few seconds, each running campaign of a pipeline
 * whose run stage this host runs, and that no live process drives (never driven, its
 * driver killed, its host gone), is taken and driven here, beside the schedules.
 */
export class CampaignService {
  readonly #deps: CampaignServiceDeps;
  readonly #stop = new AbortController();
  readonly #driving = new Map<number, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: CampaignServiceDeps) {
    this.#deps = deps;
  }

  start(): void {
    const tick = () => {
      this.#look().catch((err: unknown) =>
        this.#deps.logger.warn({ err: coerceError(err) }, 'campaigns: looking for campaigns to drive failed; trying again'),
      );
      this.#timer = setTimeout(tick, this.#deps.intervalMs ?? 10_000);
    };
    tick();
  }

  /** Stops the drivers (their SLURM jobs keep running, re-attached by the next driver) and waits for them. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#stop.abort(new Error('daemon stopping'));
    await Promise.allSettled(this.#driving.values());
  }

  async #look(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    const config = this.#deps.config();
    if (!config.daemon.host.stages.includes('run')) return;
    const store = new CampaignStore(this.#deps.db);
    const now = Date.now();
    for (const c of await store.list({ open: true })) {
      const driven = c.holderPid !== null && c.heartbeatAt !== null && now - c.heartbeatAt.getTime() < STALE_SECONDS * 1_000;
      if (c.state !== 'running' || this.#driving.has(c.id) || driven) continue;
      if (!config.pipelines.get(c.pipeline)?.config.run) {
        // Said once: it waits for a pipeline that may come back, or for a person to cancel it.
        if (firstSighting('campaigns', String(c.id))) {
          this.#deps.logger.warn(
            { campaign: c.id, pipeline: c.pipeline },
            `campaign ${c.id}: pipeline ${c.pipeline} has no run stage in the configuration any more: it waits; nocturne backfill cancel ${c.id} ends it`,
          );
        }
        continue;
      }
      this.#driving.set(c.id, this.#drive(c.id, config));
    }
  }

  async #drive(id: number, config: NocturneConfig): Promise<void> {
    const { db, logger, execute } = this.#deps;
    const signal = this.#stop.signal;
    try {
      const { driveCampaign } = await import('./driver.js');
      const result = await driveCampaign(id, {
        config,
        db,
        logger,
        signal,
        runStage: async (pipeline, stage) => {
          await execute(config, { pipeline, stage, slot: new Date(), trigger: 'manual' }, signal);
        },
      });
      logger.info(
        { campaign: id, state: result.campaign.state, submitted: result.submitted, completed: result.completed, failed: result.failed },
        'campaign driver ended',
      );
    } catch (err) {
      const error = coerceError(err);
      // Another process took it first: it is driven, which is all that matters.
      if (error.code === 'CAMPAIGN_HELD') logger.debug({ campaign: id }, error.message);
      else logger.error({ err: error, campaign: id }, `campaign ${id}: its driver stopped: ${error.message}; tried again in a moment`);
    } finally {
      this.#driving.delete(id);
    }
  }
}
