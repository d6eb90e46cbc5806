import { describe, expect, it } from 'vitest';
import { storableText } from '../../../src/db/text.js';
import { shortened, storableJson } from '../../../src/stages/ingest/common/storable.js';

describe('what the ledgers store', () => {
  it('shows NUL as \\0 in text', () => {
    expect(storableText('a\0b\0')).toBe('a\\0b\\0');
    expect(storableText('ab')).toBe('ab');
  });

  it('writes JSON without the \\u0000 escape jsonb refuses, at any depth', () => {
    const json = storableJson({ issues: [{ line: 3, value: '\0x', reason: 'bad \0' }], truncated: false });
    expect(json).not.toContain('\\u0000');
    expect(JSON.parse(json)).toEqual({ issues: [{ line: 3, value: '\\0x', reason: 'bad \\0' }], truncated: false });
  });

  it('cuts long text, saying how long it was, never inside a character', () => {
    expect(shortened('abcdef', 6)).toBe('abcdef');
    expect(shortened('abcdef', 4)).toBe('abcd… (6 characters in all)');
    // U+1F31E takes two UTF-16 units, kept together.
    expect(shortened('ab\u{1F31E}cd', 3)).toBe('ab… (6 characters in all)');
    expect(shortened('ab\u{1F31E}cd', 4)).toBe('ab\u{1F31E}… (6 characters in all)');
  });
});
