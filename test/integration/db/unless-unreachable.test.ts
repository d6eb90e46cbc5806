import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { closeDb, openDb } from '../../../src/db/database.js';
import { unlessUnreachable } from '../../../src/db/errors.js';
import { rig } from '../../../harness/rig.js';

describe('unlessUnreachable', () => {
  const cutOff = new NocturneError('INTERNAL', 'Premature close');

  it('keeps an error as it is while the database answers', async () => {
    const db = openDb({ url: rig().pgUrl, schema: 'public', poolSize: 2 });
    try {
      expect(await unlessUnreachable(db, cutOff, 'x.csv')).toBe(cutOff);
    } finally {
      await closeDb(db);
    }
  });

  it('turns it into "database unavailable" (retryable) when the database does not answer', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const db = openDb({ url: 'postgres://postgres@127.0.0.1:1/nocturne', schema: 'public', poolSize: 2 });
    try {
      const error = await unlessUnreachable(db, cutOff, 'x.csv');
      expect(error).toMatchObject({ code: 'DB_FAILED', retryable: true, message: 'x.csv: database unavailable: Premature close' });
    } finally {
      await closeDb(db);
    }
  });
});
