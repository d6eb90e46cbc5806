/**
 * What the command line names, checked before anything is loaded or recorded: a name, a
 * night, an instant or a number that is not what the option takes is a usage error
 * (exit 64) naming the option and the value.
 */
import { STAGES, type StageName } from '../config/schema.js';
import { clipped } from '../config/issues.js';
import type { NocturneConfig } from '../config/types.js';
import { EXIT } from '../core/exit-codes.js';
import { hasControl } from '../core/printable.js';
import { isNight } from '../stages/nights.js';
import { CliExit } from './runtime.js';

const usage = (message: string) => new CliExit(EXIT.usage, message);

/** A value as a message quotes it: JSON escapes control characters, and a long one is cut. */
const quoted = (text: string) => JSON.stringify(clipped(text));

/**
 * A pipeline of the configuration and, if asked for, a stage it has; the stages it has
 * otherwise. A typo would else pause, retry or show nothing, silently.
 */
export function checkPipeline(config: NocturneConfig, pipeline: string, stage?: StageName): StageName[] {
  const found = config.pipelines.get(pipeline);
  if (!found) {
    const known = [...config.pipelines.keys()].join(', ') || 'none';
    throw usage(`no pipeline named ${quoted(pipeline)} in ${config.dir}/pipelines (known: ${known})`);
  }
  const stages = STAGES.filter((s) => found.config[s] !== undefined);
  if (stage && !stages.includes(stage)) {
    throw usage(`pipeline "${pipeline}" (${found.file}) has no ${stage} stage; it has: ${stages.join(', ')}`);
  }
  return stages;
}

/** A night (--date, --from, --to): YYYY-MM-DD, a date the calendar has. */
export function nightOption(option: string, text: string): string {
  if (!isNight(text)) throw usage(`${option} must be a date YYYY-MM-DD that the calendar has, not ${quoted(text)}`);
  return text;
}

// YYYY-MM-DDTHH:MM[:SS[.fff]] then Z or ±HH:MM: an instant, with nothing left to the local time zone.
const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * --since: a date YYYY-MM-DD (midnight UTC, as the ledgers' times are kept), or an ISO
 * 8601 date-time with its offset (Z or ±HH:MM). What `new Date()` reads besides ("1",
 * "12/01/2026", "Dec 1", a date-time without offset in the local zone) is refused.
 */
export function instantOption(option: string, text: string): Date {
  if (isNight(text)) return new Date(`${text}T00:00:00Z`);
  const [, date = '', hh, mm, ss = '00', , oh = '00', om = '00'] = INSTANT.exec(text) ?? [];
  if (!isNight(date) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59 || Number(oh) > 23 || Number(om) > 59) {
    throw usage(
      `${option} takes a date YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time with its offset, e.g. 2026-11-21T10:00:00Z or 2026-11-21T10:00+01:00; not ${quoted(text)}`,
    );
  }
  return new Date(text);
}

/** A whole number (digits only: no sign, blank, exponent or 0x) from `min` to `max`. */
export function wholeNumber(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw usage(`${option} must be a whole number ${range}, not ${quoted(text)}`);
  }
  return n;
}

/** Free text kept and shown to others (--reason): one line of printable characters, at most `max`. */
export function textOption(option: string, text: string, max: number): string {
  if (hasControl(text)) {
    throw usage(`${option} must be one line of printable text: ${quoted(text)} holds a control character (newline, tab, escape...)`);
  }
  if (text.length > max) throw usage(`${option} must be at most ${max} characters, not ${text.length}`);
  return text;
}
