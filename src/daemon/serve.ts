import { EXIT } from '../core/exit-codes.js';
import type { LoadResult } from '../config/load.js';
import type { NocturneConfig } from '../config/types.js';
import { coerceError } from '../core/errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { Daemon, shutdownBoundMs } from './daemon.js';
import { installProcessHandlers } from './signals.js';
import { ensureStateDir } from './state-dir.js';
import { connectState } from './state-store.js';

export interface ServeOptions {
  /** A validated configuration. */
  config: NocturneConfig;
  version: string;
  /**
   * Reads the configuration again for SIGHUP and POST /api/reload: a LoadResult, whose
   * issues a refused reload reports; or the configuration itself, a throw refusing it.
   */
  reload: () => Promise<LoadResult | NocturneConfig>;
  /** @default JSON lines on stdout at config.daemon.log.level */
  logger?: Logger;
}

/**
 * Runs the daemon until SIGTERM/SIGINT (a second one exits at once); SIGHUP reloads.
 * Resolves to the exit code: 0 after a clean stop, 1 if the start or the stop failed,
 * 78 if the start found the configuration unusable (e.g. a secret missing).
 */
export async function serveUntilSignal(options: ServeOptions): Promise<number> {
  const { config, version } = options;
  const logger = options.logger ?? createLogger({ level: config.daemon.log.level }).child({ version });
  const daemon = new Daemon({
    config,
    logger,
    version,
    load: async () => {
      const loaded = await options.reload();
      return 'ok' in loaded ? loaded : { ok: true, config: loaded };
    },
    connect: (c) => connectState(c, logger),
  });
  const uninstall = installProcessHandlers({ daemon, logger, safetyMs: () => shutdownBoundMs(daemon.config) });
  try {
    await ensureStateDir(config.paths.state);
    await daemon.start();
    return await daemon.stopped;
  } catch (err) {
    const error = coerceError(err);
    logger.fatal({ err: error }, `start failed: ${error.message}`);
    await daemon.stop('start failed');
    // A configuration problem is not worth a restart (RestartPreventExitStatus=78).
    return error.code === 'CONFIG_INVALID' || error.code === 'SECRET_UNAVAILABLE' ? EXIT.config : EXIT.failure;
  } finally {
    uninstall();
  }
}
