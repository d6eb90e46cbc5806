import { loadConfig } from '../../config/load.js';
import { serveUntilSignal } from '../../daemon/serve.js';
import { configDir, loadOrExit, type CliOptions } from '../runtime.js';

/** After `shutdown complete`, a handle left open by a library must not keep the process. */
const LINGER_MS = 2_000;

/**
 * `nocturne daemon`: runs until SIGTERM/SIGINT. Logs JSON lines to stdout for journald.
 * Exit codes: 0 clean stop, 1 start failed or stop forced, 70 fatal error, 78 invalid
 * configuration.
 */
export async function daemonCommand(options: CliOptions, version: string): Promise<void> {
  const config = await loadOrExit(options);
  const dir = configDir(options);
  const code = await serveUntilSignal({ config, version, reload: () => loadConfig(dir) });
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write('nocturne: open handles kept the process alive after shutdown: exiting\n');
    process.exit(code);
  }, LINGER_MS).unref();
}
