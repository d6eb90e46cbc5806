import type { Clock } from '../core/clock.js';
import type { NocturneConfig } from '../config/types.js';
import { closeDb, openDbFromConfig, pingDb, type Db } from '../db/database.js';
import { databaseError } from '../db/errors.js';
import { migrate } from '../db/migrate.js';
import type { Logger } from '../log/logger.js';
import type { ExecuteFn } from '../scheduling/scheduler.js';
import { fillObservingNights } from '../stages/nights-backfill.js';
import { createPgSlotLedger, type SlotLedger } from '../scheduling/slot-ledger.js';
import type { RunEvent } from '../stages/types.js';

/** The daemon's hold on PostgreSQL: the pool, the scheduler's view of the run history. */
export interface StateStore {
  readonly db: Db;
  readonly ledger: SlotLedger;
  /** Rejects unless the database answers within a few seconds. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the state database and brings its schema up to date (under the migration lock). */
export async function connectState(config: NocturneConfig, logger: Logger): Promise<StateStore> {
  const { schema } = config.daemon.database;
  const db = await openDbFromConfig(config.daemon.database, 'nocturne-daemon', logger);
  try {
    const { applied, current } = await migrate(db, schema);
    const nightsFilled = await fillObservingNights(db, config.pipelines.values());
    logger.info({ schema, applied, schemaVersion: current, nightsFilled }, 'state schema ready');
  } catch (err) {
    await closeDb(db);
    throw databaseError(err, `state database (schema ${schema})`);
  }
  return {
    db,
    ledger: createPgSlotLedger(db),
    ping: async () => {
      await pingDb(db, 3_000, 'state database ping');
    },
    close: () => closeDb(db),
  };
}

/**
 * executeStage, imported on first use: the stages pull in sharp, ssh2, basic-ftp and
 * csv-parse, none of which an idle daemon needs in memory or at start-up.
 */
export function lazyExecuteStage(db: Db, logger: Logger, clock: Clock, events?: (event: RunEvent) => void): ExecuteFn {
  return async (config, req, signal) => {
    const { executeStage } = await import('../stages/execute.js');
    return executeStage({ config, db, logger, clock, signal, ...(events ? { events } : {}) }, req);
  };
}
