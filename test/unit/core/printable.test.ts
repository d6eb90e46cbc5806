import { describe, expect, it } from 'vitest';
import { hasControl, printable } from '../../../src/core/printable.js';

describe('printable', () => {
  it('escapes what a terminal would act on, and leaves the rest as it is', () => {
    expect(printable('a\nb\x1b[31mRED\x1b[0m\x07\rCR\t\x7f\x9b')).toBe('a\\nb\\x1b[31mRED\\x1b[0m\\x07\\rCR\\t\\x7f\\x9b');
    expect(printable('télescope — maintenance ☀')).toBe('télescope — maintenance ☀');
    expect(hasControl('a\x00b')).toBe(true);
    expect(hasControl('plain text, with "quotes"')).toBe(false);
  });
});
