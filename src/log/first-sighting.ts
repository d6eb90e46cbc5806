import type { PassedOver } from '../adapters/files/walk-files.js';
import type { Logger } from './logger.js';

const WARNED = new Set<string>();

/**
 * Whether this process has not yet warned of `what` in `scope` (a pipeline, or one of its
 * stages: "sdoss/upload"): what lies
 * in a directory run after run (a stray, a link) is logged once and counted every run,
 * so the journal says it without repeating it every few minutes.
 */
export function firstSighting(scope: string, what: string): boolean {
  const key = `${scope}\0${what}`;
  if (WARNED.has(key)) return false;
  WARNED.add(key);
  return true;
}

/** Warns once per process of each entry the stage `scope` ("<pipeline>/<stage>") passed over (walkFiles, walkRemote). */
export function warnPassedOver(logger: Logger, scope: string, entries: readonly PassedOver[], message: string): void {
  for (const entry of entries) if (firstSighting(scope, entry.path)) logger.warn({ file: entry.path, why: entry.why }, message);
}
