import { describe, expect, it } from 'vitest';
import { createCaster } from '../../../src/adapters/csv/field-casts.js';

describe('createCaster', () => {
  it('int: digits with an optional sign, within 32 bits', () => {
    const int = createCaster('int');
    expect(['0', '-17', '+5', '007', '2147483647', '-2147483648'].map((v) => int.cast(v))).toEqual([
      '0',
      '-17',
      '+5',
      '007',
      '2147483647',
      '-2147483648',
    ]);
    for (const bad of ['', '-', '1.0', '1e3', ' 1', '0x10', '١']) expect(int.cast(bad)).toBeUndefined();
    expect(int.cast('2147483648')).toBeUndefined();
    expect(int.reason('2147483648')).toBe('2147483648 is out of range for int (-2147483648..2147483647)');
    expect(int.reason('12a')).toBe('"12a" is not an integer');
  });

  it('bigint: exact at the 64-bit limits', () => {
    const bigint = createCaster('bigint');
    expect(bigint.cast('9223372036854775807')).toBe('9223372036854775807');
    expect(bigint.cast('-9223372036854775808')).toBe('-9223372036854775808');
    expect(bigint.cast('9223372036854775808')).toBeUndefined();
    expect(bigint.cast('0000000000000000000042')).toBe('0000000000000000000042');
    expect(bigint.reason('99999999999999999999')).toMatch(/is out of range for bigint/);
  });

  it('float: decimal and exponent forms, NaN and infinities, nothing PostgreSQL would refuse', () => {
    const float = createCaster('float');
    expect(['1', '-4.1e2', '.5', '5.', '+1E-3', '1e308'].map((v) => float.cast(v))).toEqual(['1', '-4.1e2', '.5', '5.', '+1E-3', '1e308']);
    expect(['nan', 'NaN', 'inf', '-Infinity'].map((v) => float.cast(v))).toEqual(['NaN', 'NaN', 'Infinity', '-Infinity']);
    for (const bad of ['', '.', 'e5', '1,5', '12.3.4', '0x1p3', 'north']) expect(float.cast(bad)).toBeUndefined();
    expect(float.cast('1e309')).toBeUndefined();
    expect(float.cast('1e-400')).toBeUndefined();
    expect(float.cast('0e-400')).toBe('0e-400');
    expect(float.reason('1e309')).toBe('1e309 is out of range for a double precision float');
    expect(float.reason('12.3.4')).toBe('"12.3.4" is not a number');
  });

  it('bool: the spellings PostgreSQL accepts, in any case', () => {
    const bool = createCaster('bool');
    expect(['true', 'F', 'Yes', 'n', 'on', 'OFF', '1', '0'].map((v) => bool.cast(v))).toEqual(['t', 'f', 't', 'f', 't', 'f', 't', 'f']);
    expect(bool.cast('maybe')).toBeUndefined();
    expect(bool.reason('maybe')).toMatch(/^"maybe" is not a boolean/);
  });

  it('text: escaped for COPY text format; NUL refused', () => {
    const text = createCaster('text');
    expect(text.cast('plain')).toBe('plain');
    expect(text.cast('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(text.cast('Renié ☉')).toBe('Renié ☉');
    expect(text.cast('a\0b')).toBeUndefined();
    expect(text.reason('a\0b')).toMatch(/NUL/);
  });

  it('timestamp: needs a format', () => {
    expect(() => createCaster('timestamp')).toThrow(/needs a format/);
    expect(createCaster('timestamp', '%Y-%m-%dT%H:%M:%S').cast('2026-11-20T00:00:45')).toBe('2026-11-20 00:00:45+00');
  });
});
