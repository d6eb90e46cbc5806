import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgTransferLedger } from '../../../src/stages/upload/pg-transfer-ledger.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

describe('the transfer ledger in PostgreSQL', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('transfer_ledger');
  });
  afterAll(async () => t?.drop());

  // Its state change is a prepared statement: a running daemon must outlive the next version's migration.
  it('keeps recording states after a migration adds a column to transfers', async () => {
    const ledger = createPgTransferLedger(t.db, 0);
    const rows = await ledger.add(
      Array.from({ length: 8 }, (_, i) => ({
        pipeline: 'p',
        target: 'archive',
        kind: 'output' as const,
        localPath: `/out/${i}.csv`,
        sizeBytes: 3,
        mtimeMs: 1.5,
        remotePath: `/hfc/${i}.csv`,
      })),
    );
    // Several connections of the pool prepare it, then the table changes under them.
    const uploading = await Promise.all(
      rows.map((r) => ledger.move(r, 'uploading', { partialPath: `${r.remotePath}.x.partial`, attempt: true })),
    );
    await t.db.none('ALTER TABLE transfers ADD COLUMN added_later integer');
    const verified = await Promise.all(uploading.map((r) => ledger.move(r, 'verified', { verifyMethod: 'size' })));
    expect(verified.map((r) => r.state)).toEqual(Array(8).fill('verified'));
  });
});
