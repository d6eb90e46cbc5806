import { describe, expect, it } from 'vitest';
import { isNumberText, MAX_PLAIN_DIGITS, shiftDecimal, wholeNumber } from '../../../src/stages/ingest/sets/decimal.js';

describe('exact decimal coercions', () => {
  it('shifts the decimal point without binary floating point', () => {
    expect(shiftDecimal('13578.9', 3)).toBe('13578900');
    expect(shiftDecimal('12345.7', 3)).toBe('12345700');
    expect(shiftDecimal('0.1234', 3)).toBe('123.4');
    expect(shiftDecimal('1.23544e+07', 3)).toBe('12354400000');
    expect(shiftDecimal('-4.5e-4', 3)).toBe('-0.45');
    expect(shiftDecimal('0.0', 3)).toBe('0');
    expect(shiftDecimal('abc', 3)).toBeUndefined();
    expect(shiftDecimal('.', 3)).toBeUndefined();
  });

  it('refuses a number of more than MAX_PLAIN_DIGITS digits written plainly, without writing it out', () => {
    expect(shiftDecimal(`1e${MAX_PLAIN_DIGITS - 4}`, 3)).toBe(`1${'0'.repeat(MAX_PLAIN_DIGITS - 1)}`);
    expect(shiftDecimal(`1e${MAX_PLAIN_DIGITS - 3}`, 3)).toBeUndefined();
    expect(shiftDecimal('1e999999999', 3)).toBeUndefined();
    expect(shiftDecimal('-1e-999999999', 3)).toBeUndefined();
    expect(shiftDecimal(`1e${'9'.repeat(400)}`, 3)).toBeUndefined();
    expect(shiftDecimal('7'.repeat(MAX_PLAIN_DIGITS + 1), 0)).toBeUndefined();
    expect(isNumberText('1e999999999')).toBe(true);
    expect(isNumberText('12.3.4')).toBe(false);
  });

  it('makes a decimal whole by the declared rule', () => {
    expect(wholeNumber('300.123456789', 'truncate')).toBe('300');
    expect(wholeNumber('300.5', 'round')).toBe('301');
    expect(wholeNumber('-2.5', 'round')).toBe('-3');
    expect(wholeNumber('-2.4', 'round')).toBe('-2');
    expect(wholeNumber('-0.7', 'truncate')).toBe('0');
    expect(wholeNumber('123.4', 'round')).toBe('123');
  });
});
