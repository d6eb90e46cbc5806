import { describe, expect, it } from 'vitest';
import { clip, hasControl, plural, printable } from '../../../src/core/printable.js';

describe('printable', () => {
  it('escapes what a terminal would act on, and leaves the rest as it is', () => {
    expect(printable('a\nb\x1b[31mRED\x1b[0m\x07\rCR\t\x7f\x9b')).toBe('a\\nb\\x1b[31mRED\\x1b[0m\\x07\\rCR\\t\\x7f\\x9b');
    expect(printable('télescope — maintenance ☀')).toBe('télescope — maintenance ☀');
    expect(hasControl('a\x00b')).toBe(true);
    expect(hasControl('plain text, with "quotes"')).toBe(false);
  });

  it('clips with an ellipsis that says more was cut, and counts in words', () => {
    expect(clip('its files stay in /tmp/h-ops/state/work', 20)).toBe('its files stay in /…');
    expect(clip('short', 20)).toBe('short');
    expect([plural(1, 'night'), plural(3, 'night'), plural(2, 'match', 'matches')]).toEqual(['1 night', '3 nights', '2 matches']);
  });
});
