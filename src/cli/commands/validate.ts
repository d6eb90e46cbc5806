import { loadOrExit, type CliOptions } from '../runtime.js';

/**
 * `nocturne validate`: loads the configuration exactly as the daemon does (secrets of
 * this host included, no database), for CI and for ExecStartPre=. Problems end it
 * with exit 78, one located line each.
 */
export async function validateCommand(options: CliOptions): Promise<void> {
  const config = await loadOrExit(options);
  const names = [...config.pipelines.keys()];
  const count = `${names.length} pipeline${names.length === 1 ? '' : 's'}`;
  process.stdout.write(`ok: ${config.dir}: ${count} (${names.join(', ')})\n`);
}
