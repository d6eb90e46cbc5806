import { formatIssues } from '../../config/issues.js';
import { closeDb, openDbFromConfig } from '../../db/database.js';
import { EXIT } from '../exit-codes.js';
import { CliExit, loadOrExit, type CliOptions } from '../runtime.js';

interface ValidateOptions extends CliOptions {
  db?: boolean;
}

/**
 * `nocturne validate`: loads the configuration exactly as the daemon does (secrets of
 * this host included), for CI and for ExecStartPre=. Problems end it with exit 78, one
 * located line each. With --db it also checks, in the database, that every ingest
 * target table exists with compatible columns (left out by default so that a database
 * being down never stops the service from starting).
 */
export async function validateCommand(options: ValidateOptions): Promise<void> {
  const config = await loadOrExit(options);
  if (options.db) {
    const { checkIngestTargets } = await import('../../stages/ingest/check-targets.js');
    const db = await openDbFromConfig(config.daemon.database, 'nocturne-validate');
    try {
      const issues = await checkIngestTargets(db, config);
      if (issues.length > 0) throw new CliExit(EXIT.config, formatIssues(issues));
    } finally {
      await closeDb(db);
    }
  }
  const names = [...config.pipelines.keys()];
  const count = `${names.length} pipeline${names.length === 1 ? '' : 's'}`;
  process.stdout.write(`ok: ${config.dir}: ${count} (${names.join(', ')})${options.db ? ', tables checked' : ''}\n`);
}
