import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { Tally } from '../../../src/stages/ingest/table/tally.js';

describe('Tally', () => {
  it('sums loaded files into stats and a one-line summary', () => {
    const tally = new Tally();
    tally.files = 4;
    tally.add({ rows: 10, inserted: 8, updated: 0, conflicting: 1, quarantined: 1 });
    tally.add({ rows: 5, inserted: 5, updated: 0, conflicting: 0, quarantined: 0 });
    tally.skipped = 1;
    tally.rejected = 1;
    const outcome = tally.outcome(undefined, undefined);
    expect(outcome.ok).toBe(true);
    expect(outcome.stats).toEqual({
      files: 4,
      loaded: 2,
      rows: 15,
      inserted: 13,
      updated: 0,
      conflicting: 1,
      skipped: 1,
      rejected: 1,
      quarantined: 1,
      failed: 0,
      pending: 0,
      passedOver: 0,
    });
    expect(outcome.summary).toBe('4 files: 2 loaded (15 rows, 13 inserted, 1 already present), 1 skipped, 1 rejected, 1 rows quarantined');
  });

  it('says when the database stopped the run and how many files wait', () => {
    const tally = new Tally();
    tally.files = 3;
    tally.pending = 3;
    const down = new NocturneError('DB_FAILED', 'database unavailable', { retryable: true });
    const outcome = tally.outcome(down, undefined);
    expect(outcome).toMatchObject({ ok: false, error: down });
    expect(outcome.summary).toMatch(/; database unavailable: 3 files left pending for the next run$/);
  });

  it('fails the run when a file failed, naming the first error', () => {
    const tally = new Tally();
    tally.failed = 1;
    const first = new NocturneError('TRANSFER_FAILED', 'x.csv: download failed', { retryable: true });
    expect(tally.outcome(undefined, first)).toMatchObject({ ok: false, error: first });
    expect(tally.outcome(undefined, first).summary).toMatch(/1 failed \(still pending\)/);
  });
});
