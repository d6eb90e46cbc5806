import { grantReader, setCatalogues } from '../../stages/ingest/sets/catalogue.js';
import { EXIT } from '../../core/exit-codes.js';
import { CliExit, loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface GrantReaderOptions extends CliOptions {
  catalogue?: string;
}

/** `nocturne db grant-reader ROLE`: ROLE reads the catalogue(s), and nothing of nocturne's state. */
export async function grantReaderCommand(role: string, options: GrantReaderOptions): Promise<void> {
  const config = await loadOrExit(options);
  const schemas = options.catalogue === undefined ? setCatalogues(config) : [options.catalogue];
  if (schemas.length === 0) {
    throw new CliExit(EXIT.usage, 'no pipeline loads file sets into a catalogue (ingest.sets.catalogue): name one with --catalogue SCHEMA');
  }
  const stateSchema = config.daemon.database.schema;
  await withDb(config, async (db) => {
    for (const schema of schemas) {
      const grant = await grantReader(db, role, { schema, stateSchema });
      if (grant.kind === 'refused') throw new CliExit(EXIT.usage, `nocturne db grant-reader: ${grant.reason}`);
      process.stdout.write(
        `role ${role} reads catalogue ${schema}: ${grant.relations} tables and views, functions ${grant.functions.join(', ')}; nothing of schema ${stateSchema}\n`,
      );
    }
  });
}
