/**
 * The timestamps HFC codes write, read leniently (no format to declare): the HFC form
 * `YYYY-MM-DDTHH:MM:SS`, the SQL form with a space, milliseconds, a `Z`, a `_TAI`
 * suffix, and the JSOC form `YYYY.MM.DD_HH:MM:SS_TAI`. No zone means UTC. TAI is turned
 * into UTC with the leap-second table (TAI − UTC), so that catalogue rows share one scale.
 */
import { daysInMonth, utcText } from '../../core/timestamp-format.js';

/** [first UTC instant (ms), TAI − UTC (s) from then on], newest first. */
const LEAP_SECONDS: readonly (readonly [number, number])[] = (
  [
    ['2017-01-01', 37],
    ['2015-07-01', 36],
    ['2012-07-01', 35],
    ['2009-01-01', 34],
    ['2006-01-01', 33],
    ['1999-01-01', 32],
    ['1997-07-01', 31],
    ['1996-01-01', 30],
    ['1994-07-01', 29],
    ['1993-07-01', 28],
    ['1992-07-01', 27],
    ['1991-01-01', 26],
    ['1990-01-01', 25],
    ['1988-01-01', 24],
    ['1985-07-01', 23],
    ['1983-07-01', 22],
    ['1982-07-01', 21],
    ['1981-07-01', 20],
    ['1980-01-01', 19],
    ['1979-01-01', 18],
    ['1978-01-01', 17],
    ['1977-01-01', 16],
    ['1976-01-01', 15],
    ['1975-01-01', 14],
    ['1974-01-01', 13],
    ['1973-01-01', 12],
    ['1972-07-01', 11],
    ['1972-01-01', 10],
  ] as const
).map(([day, offset]) => [Date.parse(`${day}T00:00:00Z`), offset] as const);

// Groups: date (Y, sep, M, sep, D), time (H, M, S), fraction, zone.
const HFC = /^(\d{4})([-.])(\d{2})\2(\d{2})[T _](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|_TAI)?$/;

/** PostgreSQL input text in UTC ("2014-02-21 00:00:45.5+00"), or undefined if `text` is not an HFC timestamp. */
export function parseHfcTimestamp(text: string): string | undefined {
  const scanned = scan(text);
  return typeof scanned === 'string' ? undefined : scanned.value;
}

/** Why parseHfcTimestamp() refused `text`. */
export function hfcTimestampReason(text: string): string {
  const scanned = scan(text);
  return typeof scanned === 'string' ? scanned : `"${text}" is a valid timestamp`;
}

/** The timestamp as PostgreSQL input text in UTC, or why it is not one. */
function scan(text: string): { value: string } | string {
  const m = HFC.exec(text);
  if (!m) {
    return `"${text}" is not a timestamp (YYYY-MM-DDTHH:MM:SS[.fff][Z], with a space instead of T, or a _TAI suffix, or YYYY.MM.DD_HH:MM:SS_TAI)`;
  }
  const [, y, sep, mo, d, h, mi, s, fraction, zone] = m;
  // The JSOC form (dots) always carries _TAI; the HFC form never mixes dots with a zone-less reading.
  if (sep === '.' && zone !== '_TAI') {
    return `"${text}": the JSOC form YYYY.MM.DD_HH:MM:SS is TAI and needs its _TAI suffix (or write YYYY-MM-DD for UTC)`;
  }
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  // There is no year 0 (PostgreSQL refuses it): 1 BC is followed by AD 1.
  if (year === 0) return `"${text}": there is no year 0000`;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return `"${text}" is not a valid date or time (month, day, hour, minute or second out of range)`;
  }
  const frac = fraction === undefined ? '' : `.${fraction}`;
  if (zone !== '_TAI') return { value: utcText({ year, month, day, hour, minute, second, fraction: frac }) };
  const tai = Date.UTC(year, month - 1, day, hour, minute, second);
  const offset = taiMinusUtc(tai);
  if (offset === undefined) return `"${text}": TAI before 1972 cannot be converted to UTC`;
  const utc = new Date(tai - offset * 1000);
  return {
    value: utcText({
      year: utc.getUTCFullYear(),
      month: utc.getUTCMonth() + 1,
      day: utc.getUTCDate(),
      hour: utc.getUTCHours(),
      minute: utc.getUTCMinutes(),
      second: utc.getUTCSeconds(),
      fraction: frac,
    }),
  };
}

/** TAI − UTC in seconds at the TAI instant `tai` (ms, read as if UTC), undefined before 1972. */
function taiMinusUtc(tai: number): number | undefined {
  for (const [from, offset] of LEAP_SECONDS) if (tai - offset * 1000 >= from) return offset;
  return undefined;
}
