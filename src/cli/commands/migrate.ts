import { closeDb, openDbFromConfig } from '../../db/database.js';
import { migrate } from '../../db/migrate.js';
import { fillObservingNights } from '../../stages/nights-backfill.js';
import { loadOrExit, type CliOptions } from '../runtime.js';

export async function migrateCommand(options: CliOptions): Promise<void> {
  const config = await loadOrExit(options);
  const { schema } = config.daemon.database;
  const db = await openDbFromConfig(config.daemon.database, 'nocturne-migrate');
  try {
    const result = await migrate(db, schema);
    const what = result.applied.length === 0 ? 'already up to date' : `applied ${result.applied.join(', ')}`;
    process.stdout.write(`schema ${schema}: ${what} (version ${result.current})\n`);
    const filled = await fillObservingNights(db, config.pipelines.values());
    if (filled > 0) process.stdout.write(`observing night filled in for ${filled} ledger rows recorded before it was kept\n`);
  } finally {
    await closeDb(db);
  }
}
