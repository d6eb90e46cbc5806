import { systemClock } from '../../core/clock.js';
import { EXIT } from '../../core/exit-codes.js';
import { prune } from '../../housekeeping/prune.js';
import { formatPruneReport } from '../../housekeeping/report.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface PruneOptions extends CliOptions {
  dryRun?: boolean;
}

/** `nocturne prune [--dry-run]`: what the daemon's housekeeping slot does, now. */
export async function pruneCommand(options: PruneOptions): Promise<void> {
  const config = await loadOrExit(options);
  const report = await withDb(config, (db) => prune({ db, config, clock: systemClock }, { dryRun: options.dryRun === true }));
  process.stdout.write(formatPruneReport(report, config.daemon.retention));
  if (report.busy) process.exitCode = EXIT.failure;
}
