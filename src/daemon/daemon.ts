import { startDaemonAlerting, type DaemonAlerting } from '../alerts/daemon-alerting.js';
import { listIncidents } from '../alerts/incident-rows.js';
import { CampaignService } from '../campaigns/service.js';
import { CampaignStore } from '../campaigns/store.js';
import { sleep as realSleep } from '../core/abort.js';
import { systemClock, type Clock } from '../core/clock.js';
import { coerceError, NocturneError } from '../core/errors.js';
import type { LoadResult } from '../config/load.js';
import type { NocturneConfig } from '../config/types.js';
import { createAuthenticator } from '../http/auth.js';
import { newLocalToken, writeLocalToken } from '../http/local-token.js';
import { startHttpServer } from '../http/server.js';
import { createRouter, type DaemonApi, type ReloadResult } from '../http/router.js';
import { Housekeeping } from '../housekeeping/housekeeping.js';
import { feedFromScheduler, LiveFeed, watchRuns } from '../monitor/live-feed.js';
import { monitorRoutes } from '../monitor/routes.js';
import type { Logger } from '../log/logger.js';
import { pauseMap } from '../operations/pauses.js';
import { listRuns } from '../runs/runs.js';
import { Scheduler, type ExecuteFn } from '../scheduling/scheduler.js';
import { slotKey } from '../scheduling/slot-ledger.js';
import { AlertMetrics } from './alert-metrics.js';
import { DaemonMetrics } from './metrics.js';
import { PENDING_COUNTERS } from './pending.js';
import { Releasers } from './releasers.js';
import { summarizeRuns } from './run-summary.js';
import { lazyExecuteStage, type StateStore } from './state-store.js';
import { stageStatuses } from './status-report.js';

export type DaemonState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface DaemonDeps {
  /** The configuration, already validated (an invalid one never gets this far: exit 78). */
  config: NocturneConfig;
  logger: Logger;
  version: string;
  /** Reads and validates the configuration directory again, for a reload. */
  load: () => Promise<LoadResult>;
  /** Opens the state database and migrates it. */
  connect: (config: NocturneConfig) => Promise<StateStore>;
  /** How a stage is executed. @default executeStage, imported on first use */
  execute?: ExecuteFn;
  clock?: Clock;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** After shutdown.grace, how long aborted stages get to record their end. @default FORCE_MS */
  forceMs?: number;
}

/** After shutdown.grace, how long aborted stages get to record their end. */
export const FORCE_MS = 10_000;
/** Beyond grace and force: time to close HTTP and the pool, and to write the last lines. */
const SAFETY_MARGIN_MS = 5_000;

/** The longest a stop may take before the process exits anyway (systemd's TimeoutStopSec must exceed it). */
export function shutdownBoundMs(config: NocturneConfig): number {
  return config.daemon.shutdown.graceMs + FORCE_MS + SAFETY_MARGIN_MS;
}

/** How often the monitor looks for runs begun or ended elsewhere (CLI, other hosts) while a page watches. */
const RUNS_WATCH_MS = 2_000;

/** Settings that only a restart applies: the pool and the listening socket are made once. */
const RESTART_ONLY = ['database', 'http'] as const;

/**
 * The daemon's lifecycle: start (HTTP, database, catch-up, scheduler, `ready`), reload
 * (validate completely, then swap), stop (stop firing, grace, abort, release in reverse,
 * `shutdown complete`). Signals are the command's business (signals.ts), not this class's.
 */
export class Daemon implements DaemonApi {
  #state: DaemonState = 'idle';
  #config: NocturneConfig;
  readonly #deps: DaemonDeps;
  readonly #releasers = new Releasers();
  #store: StateStore | null = null;
  #scheduler: Scheduler | null = null;
  #metrics: DaemonMetrics | null = null;
  #alerting: DaemonAlerting | null = null;
  #housekeeping: Housekeeping | null = null;
  #starting: Promise<void> | null = null;
  #stopping: Promise<number> | null = null;
  #closeHttp: (() => Promise<void>) | undefined;
  #reloading: Promise<unknown> = Promise.resolve();
  #httpAddress: string | null = null;
  /** Runs, stage events and scheduler decisions, for the monitor's event stream. */
  readonly feed = new LiveFeed();
  #resolveStopped: (code: number) => void = () => undefined;
  /** Resolves with the exit code once a stop, whoever asked for it, is complete. */
  readonly stopped = new Promise<number>((resolve) => {
    this.#resolveStopped = resolve;
  });

  constructor(deps: DaemonDeps) {
    this.#deps = deps;
    this.#config = deps.config;
  }

  get state(): DaemonState {
    return this.#state;
  }

  get config(): NocturneConfig {
    return this.#config;
  }

  /** Where the HTTP interface listens, once started (null when http.enabled is false). */
  get httpAddress(): string | null {
    return this.#httpAddress;
  }

  get scheduler(): Scheduler | null {
    return this.#scheduler;
  }

  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { logger } = this.#deps;
    const config = this.#config;
    this.#state = 'starting';
    logger.info({ dir: config.dir, pipelines: [...config.pipelines.keys()], stages: config.daemon.host.stages }, 'starting');
    const clock = this.#deps.clock ?? systemClock;
    const { http } = config.daemon;
    // The listening socket first: a second daemon started by mistake fails here, before it
    // registers as this host or replaces the token that the running daemon's reload needs.
    if (http.enabled) {
      const token = newLocalToken();
      const routes = monitorRoutes({
        config: () => this.#config,
        db: () => this.#db(),
        now: () => clock.now(),
        nextSlots: () => this.#nextSlots(),
        feed: this.feed,
      });
      const auth = createAuthenticator(http.auth, token);
      const server = await startHttpServer(http.listen, createRouter(this, { auth, publicNames: http.publicNames, routes }), logger);
      this.#httpAddress = server.address;
      // Closed by stop() before the database (released after it, being acquired first).
      let closing: Promise<void> | undefined;
      this.#closeHttp = () => (closing ??= server.close());
      this.#releasers.add('http server', this.#closeHttp);
      await writeLocalToken(config.paths.state, token);
    }
    const store = await this.#deps.connect(config);
    this.#store = store;
    this.#releasers.add('state database', () => store.close());
    const alerting = await startDaemonAlerting({ db: store.db, config, logger, version: this.#deps.version, clock });
    this.#alerting = alerting;
    this.#releasers.add('heartbeat and alerting', () => alerting.stop());
    const housekeeping = new Housekeeping({ db: store.db, config, logger, clock, sleep: this.#deps.sleep ?? realSleep });
    this.#housekeeping = housekeeping;
    housekeeping.start();
    this.#releasers.add('housekeeping', () => housekeeping.stop());
    const execute = this.#deps.execute ?? lazyExecuteStage(store.db, logger, clock, (event) => this.feed.publish(event));
    const scheduler = new Scheduler({
      clock,
      sleep: this.#deps.sleep ?? realSleep,
      ledger: store.ledger,
      execute,
      logger,
      pausedStages: async () => new Set((await pauseMap(store.db)).keys()),
      // A pause from any host is seen within one heartbeat period (and by each run as it begins).
      pausePollMs: Math.min(30_000, config.daemon.host.heartbeatMs),
    });
    this.#metrics = new DaemonMetrics(
      {
        version: this.#deps.version,
        summary: () => summarizeRuns(store.db),
        pending: () => this.#pendingByStage(),
        extensions: [new AlertMetrics({ config: () => this.#config, db: () => store.db }, logger)],
      },
      logger,
    );
    this.#metrics.observe(scheduler.events);
    this.#scheduler = scheduler;
    feedFromScheduler(this.feed, scheduler.events);
    await scheduler.start(config);
    const campaigns = new CampaignService({ db: store.db, config: () => this.#config, logger, execute });
    campaigns.start();
    this.#releasers.add('campaign drivers', () => campaigns.stop());
    if (http.enabled) {
      const unwatch = watchRuns(
        this.feed,
        () => this.#db(),
        RUNS_WATCH_MS,
        (err) => logger.warn({ err }, 'monitor: reading the run history failed'),
      );
      this.#releasers.add('run history watch', async () => unwatch());
    }
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    // Since the process started: what an operator waits for after `systemctl start`.
    const startupMs = Math.round(performance.now());
    logger.info({ http: this.#httpAddress, stages: scheduler.snapshot().length, startupMs }, 'ready');
  }

  /**
   * Stops the daemon; resolves to the exit code (0 clean, 1 if a stage did not stop or
   * a release step failed). Idempotent: every call gets the same promise.
   */
  stop(reason: string): Promise<number> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #stop(reason: string): Promise<number> {
    const { logger } = this.#deps;
    this.#state = 'stopping';
    logger.info({ reason }, 'stopping');
    // A stop during start waits for it: whatever it acquired is then released below.
    await this.#starting?.catch(() => undefined);
    let left: number;
    try {
      left = (await this.#scheduler?.stop(this.#config.daemon.shutdown.graceMs, this.#deps.forceMs ?? FORCE_MS)) ?? 0;
    } catch (err) {
      logger.error({ err: coerceError(err) }, 'scheduler did not stop cleanly');
      left = -1;
    }
    // The stages are done: no page or API call may meet a closed pool (its failure, if any, is the release step's to report).
    await this.#closeHttp?.().catch(() => undefined);
    const failures = await this.#releasers.releaseAll(logger);
    this.#state = 'stopped';
    logger.info({ stagesLeftRunning: Math.max(left, 0), failedSteps: failures.length }, 'shutdown complete');
    logger.flush();
    const code = left === 0 && failures.length === 0 ? 0 : 1;
    this.#resolveStopped(code);
    return code;
  }

  /** Validates the configuration directory completely, then swaps it in; an invalid one changes nothing. */
  reload(): Promise<ReloadResult> {
    const next = this.#reloading.then(() => this.#reload());
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  async #reload(): Promise<ReloadResult> {
    const { logger } = this.#deps;
    if (this.#state !== 'running' || !this.#scheduler) {
      return { ok: false, message: `the daemon is ${this.#state}`, issues: [], unavailable: true };
    }
    let loaded: LoadResult;
    try {
      loaded = await this.#deps.load();
    } catch (err) {
      const error = coerceError(err, 'CONFIG_INVALID', `reading ${this.#config.dir}`);
      loaded = { ok: false, issues: [{ file: this.#config.dir, line: 0, col: 0, message: error.message }] };
    }
    if (!loaded.ok) {
      this.#metrics?.reloaded(false);
      logger.error({ issues: loaded.issues }, 'reload refused: the configuration is invalid; the previous one stays');
      const message = `configuration in ${this.#config.dir} is invalid (${loaded.issues.length} problem(s)): nothing changed`;
      return { ok: false, message, issues: loaded.issues };
    }
    const next = loaded.config;
    const restartNeeded = RESTART_ONLY.filter((key) => JSON.stringify(next.daemon[key]) !== JSON.stringify(this.#config.daemon[key])).map(
      (key) => `${key}: changed, applies at the next restart`,
    );
    const summary = this.#scheduler.reload(next);
    this.#alerting?.reload(next);
    this.#housekeeping?.reload(next);
    this.#config = next;
    logger.level = next.daemon.log.level;
    this.#metrics?.reloaded(true);
    const warnings = loaded.warnings?.length ? { warnings: loaded.warnings } : {};
    logger.info({ ...summary, restartNeeded, ...warnings }, 'configuration reloaded');
    return { ok: true, ...summary, restartNeeded, ...warnings };
  }

  async readiness(): Promise<{ ready: boolean; reason?: string }> {
    if (this.#state !== 'running' || !this.#store) return { ready: false, reason: `daemon is ${this.#state}` };
    try {
      await this.#store.ping();
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: `state database unreachable: ${coerceError(err).message}` };
    }
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    if (!this.#metrics) throw new NocturneError('INTERNAL', 'metrics: the daemon is starting', { retryable: true });
    return this.#metrics.render();
  }

  #nextSlots(): Map<string, Date | null> {
    return new Map((this.#scheduler?.snapshot() ?? []).map((t) => [slotKey(t.pipeline, t.stage), t.next]));
  }

  async pipelines(): Promise<unknown> {
    const stages = await stageStatuses(this.#config, this.#db(), {
      now: (this.#deps.clock ?? systemClock).now(),
      nextSlots: this.#nextSlots(),
    });
    const incidents = await listIncidents(this.#db(), { open: true, limit: 100 });
    return { state: this.#state, host: this.#config.daemon.host, stages, incidents };
  }

  async runs(query: { pipeline?: string; limit: number }): Promise<unknown> {
    return listRuns(this.#db(), query);
  }

  async campaigns(query: { open: boolean }): Promise<unknown> {
    return new CampaignStore(this.#db()).views(query);
  }

  async incidents(query: { open: boolean; limit: number }): Promise<unknown> {
    return listIncidents(this.#db(), query);
  }

  async #pendingByStage(): Promise<{ pipeline: string; stage: string; counts: Record<string, number> }[]> {
    const db = this.#db();
    const tracks = this.#scheduler?.snapshot() ?? [];
    return Promise.all(
      tracks.map(async ({ pipeline, stage }) => {
        const loaded = this.#config.pipelines.get(pipeline);
        const counts = loaded ? await PENDING_COUNTERS[stage](db, loaded) : {};
        return { pipeline, stage, counts };
      }),
    );
  }

  #db() {
    // The monitor listens before the database is open (a migration may wait on another host): 503 meanwhile.
    if (!this.#store) {
      throw new NocturneError('DB_FAILED', 'the state database is not open yet: the daemon is starting', { retryable: true });
    }
    return this.#store.db;
  }
}
