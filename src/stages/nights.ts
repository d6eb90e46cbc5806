/**
 * Observing nights. A run of a stage stands for the calendar date of its slot in the
 * stage's time zone (executeStage's default `date`); the same rule, applied to the date
 * an HFC code writes in its file names, gives the observing night of a file.
 */

import { daysInMonth } from '../core/timestamp-format.js';

// One formatter per time zone: making one costs far more than using it (a monitor page
// or an ingest run asks for thousands of dates).
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * Whether `text` is a night as YYYY-MM-DD that the calendar has: Date.parse rolls
 * 2026-02-30 over into March, and PostgreSQL's date has no year 0.
 */
export function isNight(text: string): boolean {
  const [, y, m, d] = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) ?? [];
  const [year, month, day] = [Number(y), Number(m), Number(d)];
  return y !== undefined && year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** The calendar date of `instant` in `timeZone`, as YYYY-MM-DD. */
export function localDate(instant: Date, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, format);
  }
  return format.format(instant);
}

/**
 * The `YYYYMMDDTHHMMSS` stamp HFC codes put in their file names
 * (sdoss_106_20140221T000045_sdo_feat.csv), in UTC; undefined when the name has none.
 */
export function fileNameDate(fileName: string): Date | undefined {
  for (const [, y, m, d, hh, mi, ss] of fileName.matchAll(/(?<!\d)(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?!\d)/g)) {
    // A leap second (:60) is the last second of its minute, not the next minute's first.
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mi), Math.min(Number(ss), 59)));
    // Date.UTC rolls 20140231 over into March: only a real calendar date and time counts.
    const time = Number(hh) < 24 && Number(mi) < 60 && Number(ss) <= 60;
    if (time && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d)) return date;
  }
  return undefined;
}

/** The observing night (YYYY-MM-DD) of a file: the date in its name, in `timeZone`; null when the name has no date. */
export function observingNight(fileName: string, timeZone: string): string | null {
  const date = fileNameDate(fileName);
  return date === undefined ? null : localDate(date, timeZone);
}

/**
 * The time zone that names a pipeline's nights: its run stage's, whose runs stand for
 * nights; a pipeline without one (its code runs elsewhere) uses `own`, the time zone of
 * the stage asking.
 */
export function nightZone(pipeline: { run?: { timezone: string } | undefined }, own: string): string {
  return pipeline.run?.timezone ?? own;
}
