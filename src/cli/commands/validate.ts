import { formatIssues } from '../../config/issues.js';
import { loadConfig } from '../../config/load.js';
import { closeDb, openDbFromConfig } from '../../db/database.js';
import { quietInputWarnings } from '../../runs/quiet-inputs.js';
import { EXIT } from '../../core/exit-codes.js';
import { CliExit, configDir, type CliOptions } from '../runtime.js';

interface ValidateOptions extends CliOptions {
  db?: boolean;
}

/**
 * `nocturne validate`: loads the configuration exactly as the daemon does (secrets of
 * this host included), for CI and for ExecStartPre=. Problems end it with exit 78, one
 * located line each. With --db it also checks, in the database, that every ingest
 * target table exists with compatible columns (left out by default so that a database
 * being down never stops the service from starting), and warns about run stages whose
 * input glob found nothing lately. Warnings go to stderr, located the same way, and
 * leave the exit code 0.
 */
export async function validateCommand(options: ValidateOptions): Promise<void> {
  const loaded = await loadConfig(configDir(options));
  if (!loaded.ok) throw new CliExit(EXIT.config, formatIssues(loaded.issues));
  const { config } = loaded;
  const warnings = [...(loaded.warnings ?? [])];
  if (options.db) {
    const { checkIngestTargets } = await import('../../stages/ingest/check-targets.js');
    const db = await openDbFromConfig(config.daemon.database, 'nocturne-validate');
    try {
      const issues = await checkIngestTargets(db, config);
      if (issues.length > 0) throw new CliExit(EXIT.config, formatIssues(issues));
      warnings.push(...(await quietInputWarnings(db, config)));
    } finally {
      await closeDb(db);
    }
  }
  if (warnings.length > 0) process.stderr.write(`${formatIssues(warnings)}\n`);
  const names = [...config.pipelines.keys()];
  const count = `${names.length} pipeline${names.length === 1 ? '' : 's'}`;
  process.stdout.write(`ok: ${config.dir}: ${count} (${names.join(', ')})${options.db ? ', tables checked' : ''}\n`);
}
