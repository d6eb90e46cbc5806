import { describe, expect, it } from 'vitest';
import { formatIssue, formatReport, locate, shown, SHOWN_CHARS } from '../../../src/stages/ingest/common/issues.js';

describe('issue formatting', () => {
  it('locates issues as file:line[:column]: reason', () => {
    expect(locate('/in/a.csv', { line: 4, column: 'FEAT_X_ARCSEC', reason: '"x" is not a number' })).toBe(
      '/in/a.csv:4:FEAT_X_ARCSEC: "x" is not a number',
    );
    expect(locate('/in/a.csv', { line: 3, reason: 'expected 17 fields, found 16' })).toBe('/in/a.csv:3: expected 17 fields, found 16');
    expect(locate('/in/a.csv', { line: 0, column: 'cc', reason: 'refused by PostgreSQL: too long' })).toBe(
      '/in/a.csv: cc: refused by PostgreSQL: too long',
    );
    expect(formatIssue({ line: 2, column: 'CC', reason: 'bad' })).toBe('CC: bad');
  });

  it('locates a record that cannot be read at its character, and a field at its header', () => {
    expect(locate('/in/a.csv', { line: 3, at: 12, reason: 'byte 0x00 (NUL) is not text' })).toBe(
      '/in/a.csv:3:12: byte 0x00 (NUL) is not text',
    );
    expect(formatIssue({ line: 3, at: 12, reason: 'byte 0x00 (NUL) is not text' })).toBe('byte 0x00 (NUL) is not text');
  });

  it('keeps at most SHOWN_CHARS of a value, header or reason', () => {
    const long = 'x'.repeat(SHOWN_CHARS + 1);
    const reason = `"${long}" is not a number`;
    expect(shown({ line: 2, column: long, value: long, reason })).toEqual({
      line: 2,
      column: `${'x'.repeat(SHOWN_CHARS)}… (${SHOWN_CHARS + 1} characters in all)`,
      value: `${'x'.repeat(SHOWN_CHARS)}… (${SHOWN_CHARS + 1} characters in all)`,
      reason: `"${'x'.repeat(SHOWN_CHARS - 1)}… (${reason.length} characters in all)`,
    });
    expect(shown({ line: 2, reason: 'short' })).toEqual({ line: 2, reason: 'short' });
  });

  it('writes a report a person can act on', () => {
    const text = formatReport({
      file: '/in/a.csv',
      sha256: 'ab'.repeat(32),
      pipeline: 'sdoss',
      table: 'hfc.sunspots',
      summary: '/in/a.csv:4:FEAT_X_ARCSEC: "x" is not a number',
      issues: [
        { line: 4, column: 'FEAT_X_ARCSEC', value: 'x', reason: '"x" is not a number' },
        { line: 6, reason: 'expected 17 fields, found 16' },
      ],
      more: 3,
    });
    expect(text).toMatchInlineSnapshot(`
      "nocturne ingest: file rejected, nothing of it was loaded
      file:     /in/a.csv
      sha256:   abababababababababababababababababababababababababababababababab
      pipeline: sdoss
      table:    hfc.sunspots
      reason:   /in/a.csv:4:FEAT_X_ARCSEC: "x" is not a number

      issues (file:line[:column]: reason [value]):
      /in/a.csv:4:FEAT_X_ARCSEC: "x" is not a number ["x"]
      /in/a.csv:6: expected 17 fields, found 16
      ... and 3 more

      Fix the file and put it back in the source directory: a changed file (new content) is loaded on the next run.
      "
    `);
  });
});
