import { loadConfig } from '../../config/load.js';
import { coerceError } from '../../core/errors.js';
import { Daemon, shutdownBoundMs } from '../../daemon/daemon.js';
import { installProcessHandlers } from '../../daemon/signals.js';
import { connectState } from '../../daemon/state-store.js';
import { createLogger } from '../../log/logger.js';
import { EXIT } from '../exit-codes.js';
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
  const logger = createLogger({ level: config.daemon.log.level }).child({ version });
  const dir = configDir(options);
  const daemon = new Daemon({
    config,
    logger,
    version,
    load: () => loadConfig(dir),
    connect: (c) => connectState(c, logger),
  });
  const uninstall = installProcessHandlers({
    daemon,
    logger,
    safetyMs: shutdownBoundMs(config),
  });
  let code: number;
  try {
    await daemon.start();
    code = await daemon.stopped;
  } catch (err) {
    const error = coerceError(err);
    logger.fatal({ err: error }, `start failed: ${error.message}`);
    await daemon.stop('start failed');
    code = error.code === 'CONFIG_INVALID' || error.code === 'SECRET_UNAVAILABLE' ? EXIT.config : EXIT.failure;
  } finally {
    uninstall();
  }
  process.exitCode = code;
  setTimeout(() => {
    logger.warn('open handles kept the process alive after shutdown: exiting');
    process.exit(code);
  }, LINGER_MS).unref();
}
