import { createCaster, type FieldCaster } from '../../../adapters/csv/field-casts.js';
import { hfcTimestampReason, parseHfcTimestamp } from '../../../adapters/csv/hfc-timestamp.js';
import type { TableColumn } from './table-columns.js';

/**
 * Casts of HFC fields, chosen by the PostgreSQL type of the column they go to, into SQL
 * literals for a multi-row INSERT. Everything PostgreSQL would refuse is refused here
 * with a reason, so that a bad field is located by file, line and column instead of
 * failing the set's transaction.
 */
export interface LiteralCaster {
  /** The value as a SQL literal ('...'), or undefined when it does not fit the column. */
  cast: (value: string) => string | undefined;
  reason: (value: string) => string;
}

const FLOAT_FORM = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT16 = { min: -32768, max: 32767 };
const FLOAT4_MAX = 3.4028234663852886e38;

/** A SQL string literal (standard_conforming_strings is on: only the quote is doubled). */
export function literal(text: string): string {
  return text.includes("'") ? `'${text.replaceAll("'", "''")}'` : `'${text}'`;
}

/** The caster for `column`, or a reason why the type is not supported. */
export function casterFor(column: TableColumn): LiteralCaster | string {
  if (column.elementType !== null) {
    const element = scalarCaster(column.elementType, null, column.name);
    return typeof element === 'string' ? element : arrayCaster(element, column.elementType);
  }
  const scalar = scalarCaster(column.type, column.maxChars, column.name);
  return typeof scalar === 'string' ? scalar : { cast: (v) => quoted(scalar.cast(v)), reason: scalar.reason };
}

function quoted(text: string | undefined): string | undefined {
  return text === undefined ? undefined : literal(text);
}

/** A caster to bare text (not yet quoted); a string when the type is not supported. */
function scalarCaster(type: string, maxChars: number | null, column: string): FieldCaster | string {
  switch (type) {
    case 'int2':
      return integer(createCaster('int'), (v) => Number(v) >= INT16.min && Number(v) <= INT16.max, 'smallint');
    case 'int4':
      return integer(createCaster('int'), () => true, 'integer');
    case 'int8':
      return integer(createCaster('bigint'), () => true, 'bigint');
    case 'float8':
    case 'numeric':
      return createCaster('float');
    case 'float4': {
      const float = createCaster('float');
      return {
        cast: (v) => {
          const out = float.cast(v);
          return out !== undefined && Math.abs(Number(out)) > FLOAT4_MAX && Number.isFinite(Number(out)) ? undefined : out;
        },
        reason: (v) => (FLOAT_FORM.test(v) && Math.abs(Number(v)) > FLOAT4_MAX ? `${v} is out of range for real` : float.reason(v)),
      };
    }
    case 'bool':
      return createCaster('bool');
    case 'text':
    case 'varchar':
    case 'bpchar':
      return text(maxChars);
    case 'timestamptz':
    case 'timestamp':
      return { cast: parseHfcTimestamp, reason: hfcTimestampReason };
    default:
      return `column ${column} is of type ${type}, which sets mode cannot load (integer, float, numeric, text, varchar, boolean, timestamptz or arrays of them)`;
  }
}

/** An integer caster that explains why a float (even a whole one, e.g. 1.0e3) is refused. */
function integer(base: FieldCaster, inRange: (v: string) => boolean, label: string): FieldCaster {
  return {
    cast: (v) => (base.cast(v) !== undefined && inRange(v) ? v : undefined),
    reason: (v) => {
      if (/^[+-]?\d+$/.test(v)) return inRange(v) ? base.reason(v) : `${v} is out of range for ${label}`;
      if (FLOAT_FORM.test(v)) {
        const whole = Number.isInteger(Number(v)) ? ', even though it is a whole number' : '';
        return `"${v}" is a float, not an integer: ${label === 'integer' ? 'an' : 'a'} ${label} column takes digits only${whole}`;
      }
      return `"${v}" is not an integer`;
    },
  };
}

function text(maxChars: number | null): FieldCaster {
  const length = (v: string) => (v.length <= (maxChars ?? 0) ? v.length : [...v].length);
  return {
    cast: (v) => (v.includes('\0') || (maxChars !== null && length(v) > maxChars) ? undefined : v),
    reason: (v) =>
      v.includes('\0')
        ? 'text contains a NUL character, which PostgreSQL cannot store'
        : `${length(v)} characters is longer than the column's ${maxChars}`,
  };
}

/** A comma-packed sub-list ("163,1,970,81") into an array literal ('{163,1,970,81}'). */
function arrayCaster(element: FieldCaster, type: string): LiteralCaster {
  const isText = type === 'text' || type === 'varchar' || type === 'bpchar';
  const item = (v: string) => {
    const out = element.cast(isText ? v : v.trim());
    if (out === undefined || !isText) return out;
    return `"${out.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  };
  return {
    cast(v) {
      const parts = v.split(',');
      const items: string[] = [];
      for (const part of parts) {
        const out = item(part);
        if (out === undefined) return undefined;
        items.push(out);
      }
      return literal(`{${items.join(',')}}`);
    },
    reason(v) {
      const parts = v.split(',');
      const index = parts.findIndex((part) => item(part) === undefined);
      const bad = parts[index] ?? '';
      return `item ${index + 1} of the comma-separated list: ${element.reason(isText ? bad : bad.trim())}`;
    },
  };
}
