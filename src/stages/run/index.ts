import { mkdir } from 'node:fs/promises';
import { createExecutor } from '../../executors/create-executor.js';
import type { Executor } from '../../executors/types.js';
import { checkFreeDisk, statfsDiskSpace, waitingForDisk, type DiskSpace } from '../../housekeeping/disk-guard.js';
import { FairShareGate } from '../../fair-share/gate.js';
import type { StageContext, StageRunner } from '../types.js';
import { discoverObservations, logRefused } from './discover.js';
import { printDryRun } from './dry-run.js';
import { emptyStats } from './outcomes.js';
import { arrayLimit, newToken, planJobs } from './plan.js';
import { checkCommand, resolveRunSettings, type RunSettings } from './settings.js';
import { JobLedger } from './job-ledger.js';
import { JobTracker } from './job-tracker.js';

export interface RunStageDeps {
  /** Builds the executor (default: the real one the configuration names). */
  executor?: (settings: RunSettings, ctx: StageContext) => Executor;
  random?: () => number;
  /** How long a task reported ended may lack its second evidence (exit marker, outputs, who cancelled). */
  markerGraceMs?: number;
  /** How long the stage timeout may spend cancelling. */
  stopBudgetMs?: number;
  /** Free space under the outbox, for the disk guard (default: statfs). */
  diskSpace?: DiskSpace;
}

export function defaultExecutor(settings: RunSettings, ctx: StageContext): Executor {
  return createExecutor({
    kind: settings.executor,
    logger: ctx.logger,
    lostAfterMs: settings.lostAfterMs,
    concurrency: settings.concurrency,
  });
}

/**
 * Stage "run": finds the night's observations, skips those already done, submits the rest
 * (one job array per night, or one job per observation), re-attaches to the jobs of
 * earlier runs, and waits for every task to end, retrying what may succeed.
 */
export function createRunStage(deps: RunStageDeps = {}): StageRunner {
  return async (ctx) => {
    const settings = resolveRunSettings(ctx);
    await checkCommand(settings);
    const executor = (deps.executor ?? defaultExecutor)(settings, ctx);
    const ledger = new JobLedger(ctx.db, settings.pipeline);
    const { observations: found, refused } = await discoverObservations(settings.inputGlob, ctx.date, settings.lookbackDays);
    logRefused(ctx.logger, settings.pipeline, refused);
    const known = await ledger.knownStates(found.map((o) => o.input));
    // Done means done: a failed observation is not, and the run that finds it says so.
    const skipped = found.filter((o) => known.get(o.input) === 'done').length;
    const setAside = await ledger.failedAmong(found.map((o) => o.input));

    if (ctx.dryRun) {
      const earlier = await ledger.pending();
      const fresh = found.filter((o) => !known.has(o.input)).map((o) => ({ ...o, failures: 0, retryAt: null }));
      const maxArray = settings.array ? await arrayLimit(executor, ctx.signal) : undefined;
      const plans = planJobs(settings, [...earlier, ...fresh], ctx.date, newToken, maxArray);
      const reattach = (await ledger.activeJobs()).length;
      printDryRun(ctx.print, settings, executor, ctx.date, plans, {
        found: found.length,
        skipped,
        setAside: setAside.length,
        earlier: earlier.length,
        reattach,
      });
      return { ok: true, stats: {}, summary: `dry run: ${plans.length} job(s) would be submitted` };
    }

    await mkdir(settings.outbox, { recursive: true });
    await ledger.register(found);
    // The disk guard: no new work while the outbox's disk is low (retention.minFreeDisk).
    const diskLow = await checkFreeDisk(deps.diskSpace ?? statfsDiskSpace, settings.outbox, ctx.config.daemon.retention.minFreeDisk);
    if (diskLow) return waitingForDisk(diskLow, (await ledger.pending()).length);
    const stats = { ...emptyStats(), observations: found.length, skipped, setAside: setAside.length, refused: refused.length };
    const tracker = new JobTracker({
      ctx,
      settings,
      executor,
      ledger,
      stats,
      setAside,
      // The caps count SLURM's queue; local tasks have their own limit (executor.local.concurrency).
      ...(settings.executor === 'slurm' ? { gate: new FairShareGate(ctx.db, settings.pipeline, settings.caps) } : {}),
      ...(deps.random === undefined ? {} : { random: deps.random }),
      ...(deps.markerGraceMs === undefined ? {} : { markerGraceMs: deps.markerGraceMs }),
      ...(deps.stopBudgetMs === undefined ? {} : { stopBudgetMs: deps.stopBudgetMs }),
    });
    await tracker.load();
    return tracker.run();
  };
}

export const runStage: StageRunner = createRunStage();
