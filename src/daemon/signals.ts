import { EXIT } from '../core/exit-codes.js';
import { coerceError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { ReloadResult } from '../http/router.js';

/** The part of `process` the handlers use, so tests can send signals to a fake. */
export interface ProcessHooks {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code: number): void;
}

export interface ProcessHandlerOptions {
  daemon: { stop(reason: string): Promise<number>; reload(): Promise<ReloadResult> };
  logger: Logger;
  /** How long a stop may take in all before the process exits anyway, with 1: asked at the signal, so a reloaded shutdown.grace counts. */
  safetyMs: () => number;
  proc?: ProcessHooks;
}

/**
 * The application's signal and crash handling (components only expose stop/reload):
 * SIGTERM/SIGINT stop gracefully, a second one exits at once with 1, and an unref'd
 * timer guarantees the exit; SIGHUP reloads; an uncaught error logs fatal and exits 70,
 * leaving systemd to restart a daemon whose state PostgreSQL keeps consistent.
 * Returns a function that removes the handlers.
 */
export function installProcessHandlers(options: ProcessHandlerOptions): () => void {
  const { daemon, logger } = options;
  const proc: ProcessHooks = options.proc ?? process;
  let stopSignals = 0;

  const onStopSignal = (signal: string) => {
    stopSignals += 1;
    if (stopSignals > 1) {
      logger.warn({ signal }, 'second stop signal: exiting now');
      return proc.exit(EXIT.failure);
    }
    const safetyMs = options.safetyMs();
    logger.info({ signal, safetyMs }, 'stop signal received');
    setTimeout(() => {
      logger.fatal({ safetyMs }, 'shutdown took too long: exiting');
      proc.exit(EXIT.failure);
    }, safetyMs).unref();
    void daemon.stop(`signal ${signal}`);
  };
  const onHangup = () => {
    logger.info({ signal: 'SIGHUP' }, 'reload requested');
    // reload() logs its own outcome; only an unexpected failure is left to report here.
    daemon.reload().catch((err: unknown) => logger.error({ err: coerceError(err) }, 'reload failed'));
  };
  const onFatal = (kind: string) => (err: unknown) => {
    logger.fatal({ err: coerceError(err) }, `fatal: ${kind}`);
    proc.exit(EXIT.software);
  };

  const handlers: [string, (...args: unknown[]) => void][] = [
    ['SIGTERM', () => onStopSignal('SIGTERM')],
    ['SIGINT', () => onStopSignal('SIGINT')],
    ['SIGHUP', onHangup],
    ['uncaughtException', onFatal('uncaught exception')],
    ['unhandledRejection', onFatal('unhandled promise rejection')],
  ];
  for (const [event, handler] of handlers) proc.on(event, handler);
  return () => {
    for (const [event, handler] of handlers) proc.off(event, handler);
  };
}
