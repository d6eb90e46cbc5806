import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';
import type prettyFactory from 'pino-pretty';
import { isJournalStream, withPriorityPrefix } from './journal.js';

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
  /** Human-readable output; by default only when the descriptor is a terminal (journald gets JSON). */
  pretty?: boolean;
  /** Where the JSON lines go: a file descriptor written synchronously (default 1, stdout). */
  fd?: number;
  /** A stream instead of `fd` (tests capture records with a sink): plain JSON lines. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env['NOCTURNE_LOG_LEVEL'] ?? 'info';
  const base = { redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, level, base: { service: 'nocturne' } };
  if (options.destination) return pino(base, options.destination);
  const fd = options.fd ?? 1;
  const pretty = options.pretty ?? isatty(fd);
  if (pretty) {
    // Formatted in this thread and written synchronously, as the JSON lines are (no worker
    // thread of pino's transports); loaded only for a terminal.
    const build = createRequire(import.meta.url)('pino-pretty') as typeof prettyFactory;
    return pino(base, build({ colorize: true, destination: fd, sync: true }));
  }
  // Each line keeps one record (JSON escapes the newlines of a message or a stack); on
  // the journal, its `<N>` prefix gives the record the priority of its level.
  const hooks = isJournalStream(fd) ? { hooks: { streamWrite: withPriorityPrefix } } : {};
  // Synchronous writes: a daemon killed right after logging must not lose the line.
  return pino({ ...base, ...hooks }, pino.destination({ dest: fd, sync: true }));
}
