import { describe, expect, it } from 'vitest';
import { casterFor, type LiteralCaster } from '../../../src/stages/ingest/sets/hfc-casts.js';
import type { TableColumn } from '../../../src/stages/ingest/sets/table-columns.js';

function caster(type: string, options: Partial<TableColumn> = {}): LiteralCaster {
  const found = casterFor({
    name: 'c',
    type,
    elementType: null,
    maxChars: null,
    notNull: false,
    hasDefault: false,
    identity: false,
    display: type,
    ...options,
  });
  if (typeof found === 'string') throw new Error(found);
  return found;
}

describe('HFC casts by column type', () => {
  it('integers take digits only, and say why a float is refused', () => {
    const int = caster('int4');
    expect(int.cast('-32')).toBe("'-32'");
    expect(int.cast('1.0e3')).toBeUndefined();
    expect(int.reason('1.0e3')).toBe(
      '"1.0e3" is a float, not an integer: an integer column takes digits only, even though it is a whole number',
    );
    expect(int.reason('1.5')).toBe('"1.5" is a float, not an integer: an integer column takes digits only');
    expect(caster('int8').reason('13578.9')).toBe('"13578.9" is a float, not an integer: a bigint column takes digits only');
    expect(caster('int2').reason('2.5')).toBe('"2.5" is a float, not an integer: a smallint column takes digits only');
    expect(caster('int2').reason('40000')).toBe('40000 is out of range for smallint');
    expect(caster('int8').cast('9223372036854775807')).toBe("'9223372036854775807'");
  });

  it('floats take exponents, NaN and Inf', () => {
    const float = caster('float8');
    expect(float.cast('1.23544e+10')).toBe("'1.23544e+10'");
    expect(float.cast('NaN')).toBe("'NaN'");
    expect(float.cast('-Inf')).toBe("'-Infinity'");
    expect(float.cast('north')).toBeUndefined();
    expect(caster('float4').cast('1e39')).toBeUndefined();
  });

  it('text is kept as is (quotes doubled), varchar(n) is checked for length in characters', () => {
    expect(caster('text').cast("O'Brien")).toBe("'O''Brien'");
    const varchar = caster('varchar', { maxChars: 5 });
    expect(varchar.cast('Renié')).toBe("'Renié'");
    expect(varchar.cast('Reniée')).toBeUndefined();
    expect(varchar.reason('Reniée')).toBe("6 characters is longer than the column's 5");
  });

  it('timestamps are read leniently, in UTC', () => {
    expect(caster('timestamptz').cast('2014-02-21 00:00:45.340Z')).toBe("'2014-02-21 00:00:45.340+00'");
  });

  it('comma-packed sub-lists become arrays, a bad item is named', () => {
    const ints = caster('int4', { elementType: 'int4' });
    expect(ints.cast('163,1,970,81')).toBe("'{163,1,970,81}'");
    expect(ints.cast('163,x,970')).toBeUndefined();
    expect(ints.reason('163,x,970')).toBe('item 2 of the comma-separated list: "x" is not an integer');
    expect(caster('float8', { elementType: 'float8' }).cast('1.5, 2e3')).toBe("'{1.5,2e3}'");
    expect(caster('text', { elementType: 'text' }).cast('a"b,c')).toBe(`'{"a\\"b","c"}'`);
  });

  it('names a type it cannot load', () => {
    expect(
      casterFor({
        name: 'shape',
        type: 'polygon',
        elementType: null,
        maxChars: null,
        notNull: false,
        hasDefault: false,
        identity: false,
        display: 'polygon',
      }),
    ).toMatch(/column shape is of type polygon, which sets mode cannot load/);
  });
});
