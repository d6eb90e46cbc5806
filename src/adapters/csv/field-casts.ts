import { NocturneError } from '../../core/errors.js';
import type { ColumnType } from '../../config/schema.js';
import { compileTimestampFormat, type TimestampParser } from '../../core/timestamp-format.js';

/**
 * Validates one CSV field against a declared type and returns it in PostgreSQL COPY
 * text format. Everything PostgreSQL would refuse is refused here, with a reason, so
 * that a bad value is located by file, line and column instead of aborting a COPY.
 * No function here allocates on the accepting path beyond the returned string.
 */
export interface FieldCaster {
  /** The value as COPY text, or undefined when it is not of the type. */
  cast: (value: string) => string | undefined;
  /** Why cast() refused `value`. */
  reason: (value: string) => string;
}

const INT32 = { min: -2147483648, max: 2147483647 };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT_SPECIAL: ReadonlyMap<string, string> = new Map([
  ['nan', 'NaN'],
  ['+nan', 'NaN'],
  ['-nan', 'NaN'],
  ['inf', 'Infinity'],
  ['+inf', 'Infinity'],
  ['infinity', 'Infinity'],
  ['+infinity', 'Infinity'],
  ['-inf', '-Infinity'],
  ['-infinity', '-Infinity'],
]);
const BOOL: ReadonlyMap<string, string> = new Map([
  ['t', 't'],
  ['true', 't'],
  ['y', 't'],
  ['yes', 't'],
  ['on', 't'],
  ['1', 't'],
  ['f', 'f'],
  ['false', 'f'],
  ['n', 'f'],
  ['no', 'f'],
  ['off', 'f'],
  ['0', 'f'],
]);
const COPY_SPECIAL = /[\\\t\n\r\0]/;
/** Compiled once per format, not once per file: a parser is synchronous, so one scratch space serves every caller. */
const timestampParsers = new Map<string, TimestampParser>();

export function createCaster(type: ColumnType, format?: string): FieldCaster {
  switch (type) {
    case 'int':
      return integerCaster(
        'int',
        32,
        (v) => {
          const n = Number(v);
          return n >= INT32.min && n <= INT32.max;
        },
        `${INT32.min}..${INT32.max}`,
      );
    case 'bigint':
      // Up to 18 digits always fit; only 19-digit values need the exact comparison.
      return integerCaster(
        'bigint',
        32,
        (v) => {
          if (v.length < 19) return true;
          const n = BigInt(v);
          return n >= INT64.min && n <= INT64.max;
        },
        `${INT64.min}..${INT64.max}`,
      );
    case 'float':
      return floatCaster;
    case 'bool':
      return {
        cast: (v) => BOOL.get(v) ?? BOOL.get(v.toLowerCase()),
        reason: (v) => `"${v}" is not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)`,
      };
    case 'text':
      return textCaster;
    case 'timestamp': {
      if (format === undefined) {
        throw new NocturneError('CONFIG_INVALID', 'a timestamp column needs a format, e.g. "%Y-%m-%dT%H:%M:%S"');
      }
      const parser = timestampParser(format);
      return { cast: (v) => parser.parse(v), reason: (v) => parser.reason(v) };
    }
  }
}

/** The parser of a timestamp format, compiled once. */
export function timestampParser(format: string): TimestampParser {
  return timestampParsers.get(format) ?? timestampParsers.set(format, compileTimestampFormat(format)).get(format)!;
}

function integerCaster(label: string, maxLength: number, inRange: (v: string) => boolean, range: string): FieldCaster {
  const digitsOnly = (v: string): boolean => {
    const n = v.length;
    let i = v.charCodeAt(0) === 45 || v.charCodeAt(0) === 43 ? 1 : 0;
    if (i === n || n > maxLength) return false;
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    return true;
  };
  return {
    cast: (v) => (digitsOnly(v) && inRange(v) ? v : undefined),
    reason: (v) => (/^[+-]?\d+$/.test(v) ? `${v} is out of range for ${label} (${range})` : `"${v}" is not an integer`),
  };
}

const floatCaster: FieldCaster = {
  cast(v) {
    if (!FLOAT.test(v)) return FLOAT_SPECIAL.get(v.toLowerCase());
    const n = Number(v);
    // PostgreSQL refuses what overflows to infinity or underflows to zero.
    if (!Number.isFinite(n) || (n === 0 && /[1-9]/.test(v.split(/[eE]/)[0]!))) return undefined;
    return v;
  },
  reason: (v) => (FLOAT.test(v) ? `${v} is out of range for a double precision float` : `"${v}" is not a number`),
};

const textCaster: FieldCaster = {
  cast(v) {
    if (!COPY_SPECIAL.test(v)) return v;
    if (v.includes('\0')) return undefined;
    return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
  },
  reason: () => 'text contains a NUL character, which PostgreSQL cannot store',
};
