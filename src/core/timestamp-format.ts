import { NocturneError } from './errors.js';

/**
 * strptime-style timestamp formats, compiled once into a token list and matched with
 * charCode arithmetic: csv-parse's cast_date (Date.parse) is 3× slower than casting
 * everything else and accepts far more than the format says.
 *
 * Supported: %Y (4 digits) %m %d %H %M %S (2 digits each) %f (1-6 digits of fraction)
 * %z (Z, +HH, +HHMM or +HH:MM) and %% ; any other character must match itself.
 * Without %z the text is read as UTC, which is what the HFC codes write.
 */
export interface TimestampParser {
  readonly format: string;
  /** PostgreSQL input text in UTC ("2014-02-21 00:00:45.5+00"), or undefined if `text` does not match. */
  parse(text: string): string | undefined;
  /**
   * The instant in microseconds from 2000-01-01 UTC (PostgreSQL's binary form), or
   * undefined as parse(); a bigint beyond 2^53 (some 285 years away from 2000).
   */
  micros(text: string): number | bigint | undefined;
  /** Why parse() refused `text`. */
  reason(text: string): string;
}

type Field = 'Y' | 'm' | 'd' | 'H' | 'M' | 'S';
type Token =
  | { kind: 'literal'; code: number }
  /** `slot`: index of the field in the parts array (Y m d H M S). */
  | { kind: 'number'; field: Field; width: number; slot: number }
  | { kind: 'fraction' }
  | { kind: 'zone' };

const FIELD_WIDTH: Record<Field, number> = { Y: 4, m: 2, d: 2, H: 2, M: 2, S: 2 };
const LIMITS: Record<Exclude<Field, 'd'>, [number, number, string]> = {
  Y: [1, 9999, 'year'],
  m: [1, 12, 'month'],
  H: [0, 23, 'hour'],
  M: [0, 59, 'minute'],
  // 60: a leap second, which PostgreSQL accepts too.
  S: [0, 60, 'second'],
};
const PAD2 = Array.from({ length: 61 }, (_, i) => String(i).padStart(2, '0'));

export function compileTimestampFormat(format: string): TimestampParser {
  const tokens = tokenize(format);
  const present = new Set(tokens.flatMap((t) => (t.kind === 'number' ? [t.field] : [])));
  for (const field of ['Y', 'm', 'd'] as const) {
    if (!present.has(field)) {
      throw new NocturneError('CONFIG_INVALID', `timestamp format "${format}" has no %${field}`);
    }
  }
  const hasZone = tokens.some((t) => t.kind === 'zone');
  // Scratch space reused by every call: Y m d H M S, fraction start/end, zone minutes.
  const parts = new Int32Array(9);

  const scan = (text: string): string | null => {
    parts.fill(0);
    let pos = 0;
    for (const token of tokens) {
      if (token.kind === 'literal') {
        if (text.charCodeAt(pos) !== token.code) return `expected "${String.fromCharCode(token.code)}" at character ${pos + 1}`;
        pos++;
      } else if (token.kind === 'number') {
        let value = 0;
        const start = pos;
        for (let end = pos + token.width; pos < end; pos++) {
          const digit = text.charCodeAt(pos) - 48;
          if (!(digit >= 0 && digit <= 9)) return `expected ${token.width} digits for %${token.field} at character ${start + 1}`;
          value = value * 10 + digit;
        }
        parts[token.slot] = value;
      } else if (token.kind === 'fraction') {
        const start = pos;
        while (pos - start < 6 && isDigit(text.charCodeAt(pos))) pos++;
        if (pos === start) return `expected a fraction (%f) at character ${pos + 1}`;
        parts[6] = start;
        parts[7] = pos;
      } else {
        const zone = scanZone(text, pos);
        if (typeof zone === 'string') return zone;
        parts[8] = zone.minutes;
        pos = zone.end;
      }
    }
    if (pos !== text.length) return `unexpected "${text.slice(pos)}" after the timestamp`;
    return checkRanges(parts);
  };

  return {
    format,
    parse(text) {
      if (scan(text) !== null) return undefined;
      const fraction = parts[7]! > parts[6]! ? `.${text.slice(parts[6], parts[7])}` : '';
      if (hasZone && parts[8] !== 0) toUtc(parts);
      return utcText({
        year: parts[0]!,
        month: parts[1]!,
        day: parts[2]!,
        hour: parts[3]!,
        minute: parts[4]!,
        second: parts[5]!,
        fraction,
      });
    },
    micros(text) {
      if (scan(text) !== null) return undefined;
      let fraction = 0;
      for (let i = parts[6]!, scale = 100_000; i < parts[7]!; i++, scale /= 10) fraction += (text.charCodeAt(i) - 48) * scale;
      const days = daysFromCivil(parts[0]!, parts[1]!, parts[2]!) - PG_EPOCH_DAYS;
      // The zone's offset (minutes east of UTC) taken off; second 60 rolls over, as in PostgreSQL.
      const seconds = days * 86_400 + parts[3]! * 3600 + (parts[4]! - (hasZone ? parts[8]! : 0)) * 60 + parts[5]!;
      const micros = seconds * 1_000_000 + fraction;
      return Number.isSafeInteger(micros) ? micros : BigInt(seconds) * 1_000_000n + BigInt(fraction);
    },
    reason(text) {
      const why = scan(text);
      return `"${text}" is not a timestamp in the format ${format}${why === null ? '' : `: ${why}`}`;
    },
  };
}

const FIELDS: readonly Field[] = ['Y', 'm', 'd', 'H', 'M', 'S'];

function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      tokens.push({ kind: 'literal', code: ch.charCodeAt(0) });
      continue;
    }
    const directive = format[++i];
    if (directive === '%') tokens.push({ kind: 'literal', code: 37 });
    else if (directive === 'f') tokens.push({ kind: 'fraction' });
    else if (directive === 'z') tokens.push({ kind: 'zone' });
    else if (directive !== undefined && directive in FIELD_WIDTH) {
      const field = directive as Field;
      tokens.push({ kind: 'number', field, width: FIELD_WIDTH[field], slot: FIELDS.indexOf(field) });
    } else {
      throw new NocturneError(
        'CONFIG_INVALID',
        `timestamp format "${format}": unsupported directive %${directive ?? ''} (use %Y %m %d %H %M %S %f %z %%)`,
      );
    }
  }
  return tokens;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function scanZone(text: string, pos: number): { minutes: number; end: number } | string {
  const sign = text[pos];
  if (sign === 'Z') return { minutes: 0, end: pos + 1 };
  if (sign !== '+' && sign !== '-') return `expected a time zone (Z or ±HH:MM) at character ${pos + 1}`;
  const match = /^(\d{2})(?::?(\d{2}))?/.exec(text.slice(pos + 1, pos + 6));
  if (!match) return `expected a time zone (Z or ±HH:MM) at character ${pos + 1}`;
  const hours = Number(match[1]);
  const minutes = Number(match[2] ?? '0');
  if (hours > 15 || minutes > 59) return `time zone ${text.slice(pos, pos + 1 + match[0].length)} is out of range`;
  return { minutes: (sign === '-' ? -1 : 1) * (hours * 60 + minutes), end: pos + 1 + match[0].length };
}

function checkRanges(parts: Int32Array): string | null {
  // Plain comparisons first: this runs for every timestamp of every row.
  const year = parts[0]!;
  const month = parts[1]!;
  const day = parts[2]!;
  if (year >= 1 && month >= 1 && month <= 12 && parts[3]! <= 23 && parts[4]! <= 59 && parts[5]! <= 60) {
    if (day >= 1 && day <= daysInMonth(year, month)) return null;
  }
  for (const [index, field] of RANGE_CHECKS) {
    const [min, max, label] = LIMITS[field];
    if (parts[index]! < min || parts[index]! > max) return `${label} ${parts[index]} is out of range`;
  }
  return `day ${day} is out of range for ${year}-${PAD2[month]}`;
}

const RANGE_CHECKS = [
  [0, 'Y'],
  [1, 'm'],
  [3, 'H'],
  [4, 'M'],
  [5, 'S'],
] as const;

/**
 * Moves the fields by the zone offset (parts[8], minutes east of UTC), so that a
 * `timestamp without time zone` column gets the same instant as a timestamptz one.
 */
function toUtc(parts: Int32Array): void {
  const utc = new Date(0);
  utc.setUTCFullYear(parts[0]!, parts[1]! - 1, parts[2]);
  utc.setUTCHours(parts[3]!, parts[4]! - parts[8]!, parts[5]);
  parts.set([utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate(), utc.getUTCHours(), utc.getUTCMinutes(), utc.getUTCSeconds()]);
}

/** 2000-01-01, PostgreSQL's epoch, in days from 1970-01-01. */
const PG_EPOCH_DAYS = 10_957;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** A UTC instant as its calendar fields; `fraction` with its dot ('.5'), or ''. */
export interface UtcFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
}

/** PostgreSQL input text of a UTC instant: "2014-02-21 00:00:45.5+00". */
export function utcText({ year, month, day, hour, minute, second, fraction }: UtcFields): string {
  return `${String(year).padStart(4, '0')}-${PAD2[month]}-${PAD2[day]} ${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}${fraction}+00`;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
