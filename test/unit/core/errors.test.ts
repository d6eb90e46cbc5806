import { describe, expect, it } from 'vitest';
import { coerceError, NocturneError } from '../../../src/core/errors.js';

describe('coerceError', () => {
  it('keeps a NocturneError as it is', () => {
    const err = new NocturneError('CSV_INVALID', 'a.csv:3: bad number');
    expect(coerceError(err)).toBe(err);
  });

  it('wraps anything else with a code, context and the original as cause', () => {
    const original = new Error('ECONNREFUSED');
    const err = coerceError(original, 'DB_FAILED', 'opening the state database');
    expect(err).toMatchObject({ code: 'DB_FAILED', message: 'opening the state database: ECONNREFUSED', retryable: false });
    expect(err.cause).toBe(original);
  });
});
