import { describe, expect, it } from 'vitest';
import { databaseError, failureOf, isDatabaseUnavailable, isTransactionConflict } from '../../../src/db/errors.js';

/** An error as pg reports one from the server. */
const pgError = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });

describe('the one rule for database failures', () => {
  it.each([
    ['connection lost (08006)', pgError('08006'), true, true],
    ['administrator shutdown (57P01)', pgError('57P01'), true, true],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true, true],
    ['pool timeout', new Error('timeout exceeded when trying to connect'), true, true],
    ['deadlock (40P01)', pgError('40P01'), false, true],
    ['serialization failure (40001)', pgError('40001'), false, true],
    ['disk full (53100)', pgError('53100'), false, false],
    ['unique violation (23505)', pgError('23505'), false, false],
  ])('%s: out of reach %s, retryable %s', (_what, err, unavailable, retryable) => {
    expect(isDatabaseUnavailable(err)).toBe(unavailable);
    const error = databaseError(err, 'transfers: x.csv');
    expect(error).toMatchObject({ code: 'DB_FAILED', retryable });
    // The verdict survives the translation: a ledger's error is read the same way.
    expect(isDatabaseUnavailable(error)).toBe(unavailable);
    expect(error.message).toBe(`transfers: x.csv: ${unavailable ? 'database unavailable: ' : ''}${err.message}`);
  });

  it('tells a transaction that lost from the database out of reach', () => {
    expect(isTransactionConflict(databaseError(pgError('40P01'), 'x'))).toBe(true);
    expect(isTransactionConflict(databaseError(pgError('08006'), 'x'))).toBe(false);
  });

  it('tells what a failure says of the input: out of reach, not its fault, or its own', () => {
    expect(['08006', '57P01'].map((c) => failureOf(pgError(c)))).toEqual(['unavailable', 'unavailable']);
    expect(['40P01', '53100', '25006', '42P01'].map((c) => failureOf(pgError(c)))).toEqual([
      'transient',
      'transient',
      'transient',
      'transient',
    ]);
    expect(['22P02', '23505', '21000', 'P0001'].map((c) => failureOf(pgError(c)))).toEqual(['input', 'input', 'input', 'input']);
    expect(failureOf(databaseError(pgError('40P01'), 'x'))).toBe('transient');
  });

  // Nor as the input's: a pooler (PgBouncer) answers 08P01 for its own failures, which must not set a good file aside.
  it('reads a protocol violation (08P01) as neither the database out of reach nor the input', () => {
    const err = pgError('08P01', 'invalid message format');
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(failureOf(err)).toBe('transient');
    const error = databaseError(err, 'sdoss: recording the end of 2 tasks');
    expect(error).toMatchObject({ code: 'DB_FAILED', retryable: false, details: { sqlstate: '08P01' } });
    expect(error.message).toMatch(/^sdoss: recording the end of 2 tasks: invalid message format \(SQLSTATE 08P01: .*not retried\)$/);
    expect(failureOf(error)).toBe('transient');
  });
});
