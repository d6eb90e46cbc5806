import { closeDb, openDbFromConfig } from '../../db/database.js';
import { migrate } from '../../db/migrate.js';
import { loadOrExit, type CliOptions } from '../runtime.js';

export async function migrateCommand(options: CliOptions): Promise<void> {
  const config = await loadOrExit(options);
  const { schema } = config.daemon.database;
  const db = await openDbFromConfig(config.daemon.database, 'nocturne-migrate');
  try {
    const result = await migrate(db, schema);
    const what = result.applied.length === 0 ? 'already up to date' : `applied ${result.applied.join(', ')}`;
    process.stdout.write(`schema ${schema}: ${what} (version ${result.current})\n`);
  } finally {
    await closeDb(db);
  }
}
