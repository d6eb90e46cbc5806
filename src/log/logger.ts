import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line. Secrets are configured only by reference,
 * but a resolved value can travel in an options object or an error's config.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'passphrase',
  '*.passphrase',
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'connectionString',
  '*.connectionString',
  'secret',
  '*.secret',
  'err.config',
];

export interface LoggerOptions {
  level?: string;
  /** Human-readable output; by default only when stdout is a terminal (journald gets JSON). */
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env['NOCTURNE_LOG_LEVEL'] ?? 'info';
  const base = { redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, level, base: { service: 'nocturne' } };
  if (options.destination) return pino(base, options.destination);
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 2 } } });
  }
  // Synchronous writes: a daemon killed right after logging must not lose the line.
  return pino(base, pino.destination({ dest: 1, sync: true }));
}
