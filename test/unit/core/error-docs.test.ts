import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/core/errors.js';

const page = readFileSync(path.resolve(import.meta.dirname, '../../../docs/errors.md'), 'utf8');

/** The text under each "### CODE" heading of docs/errors.md, by code. */
function sections(): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of page.split(/^### /m).slice(1)) {
    const [heading = '', ...body] = part.split('\n');
    found.set(heading.trim(), body.join('\n').split(/^## /m)[0]!.trim());
  }
  return found;
}

describe('docs/errors.md', () => {
  it('documents every error code, and only those', () => {
    expect([...sections().keys()].sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each(ERROR_CODES)('says of %s what it means and whether it is retryable', (code) => {
    const text = sections().get(code) ?? '';
    expect(text.length).toBeGreaterThan(100);
    expect(text).toMatch(/retryable/i);
  });
});
