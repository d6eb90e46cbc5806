import { describe, expect, it } from 'vitest';
import { nightOption, textOption, wholeNumber } from '../../../src/cli/options.js';

const exitOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return { code: (err as { exitCode: number }).exitCode, message: (err as Error).message };
  }
  return null;
};

describe('what the command line takes', () => {
  it('a night the calendar has', () => {
    expect(nightOption('--date', '2028-02-29')).toBe('2028-02-29');
    for (const text of ['2026-02-29', '2026-11-31', '2026-13-45', '0000-01-01', '2026-1-01', ' 2026-11-21']) {
      expect(
        exitOf(() => nightOption('--date', text)),
        text,
      ).toEqual({
        code: 64,
        message: `--date must be a date YYYY-MM-DD that the calendar has, not ${JSON.stringify(text)}`,
      });
    }
  });

  it('whole numbers written with digits only, in range', () => {
    expect(wholeNumber('--limit', '1000', 1, 1000)).toBe(1000);
    expect(wholeNumber('--nice', '0', 0)).toBe(0);
    for (const text of ['0x2', '2e0', ' 2', '2 ', '+2', '-1', '1.0', '', '0', '1001', '99999999999999999']) {
      expect(
        exitOf(() => wholeNumber('--limit', text, 1, 1000)),
        text,
      ).toEqual({
        code: 64,
        message: `--limit must be a whole number from 1 to 1000, not ${JSON.stringify(text)}`,
      });
    }
    expect(exitOf(() => wholeNumber('<run>', 'abc', 1))?.message).toBe('<run> must be a whole number of at least 1, not "abc"');
  });

  it('free text of one line, at most so long', () => {
    expect(textOption('--reason', 'télescope — maintenance', 500)).toBe('télescope — maintenance');
    expect(exitOf(() => textOption('--reason', 'a\tb', 500))?.code).toBe(64);
    expect(exitOf(() => textOption('--reason', 'x'.repeat(501), 500))?.message).toBe('--reason must be at most 500 characters, not 501');
  });
});
