import { describe, expect, it } from 'vitest';
import { Permits } from '../../../src/core/permits.js';
import type { Db } from '../../../src/db/database.js';
import { SetConnection } from '../../../src/stages/ingest/sets/set-connection.js';

/** A pool that records what is sent on each connection it gives, and which are given back. */
function pool(failConnect = false) {
  const log: string[] = [];
  let n = 0;
  const db = {
    connect: async () => {
      if (failConnect) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      const name = `c${++n}`;
      log.push(`${name} taken`);
      return {
        none: async (sql: string) => void log.push(`${name}: ${sql}`),
        multi: async (sql: string) => (log.push(`${name}: ${sql}`), [[]]),
        done: (destroy: boolean) => void log.push(`${name} back${destroy ? ', destroyed' : ''}`),
      };
    },
  } as unknown as Db;
  return { db, log };
}

describe('SetConnection', () => {
  it('takes a connection at its first statement only: none for a set that sent nothing, nor to roll nothing back', async () => {
    const { db, log } = pool();
    const idle = new SetConnection(db, new Permits(1), 'set-a');
    await idle.none('ROLLBACK');
    await idle.done(false);
    expect(log).toEqual([]);
    const used = new SetConnection(db, new Permits(1), 'set-b');
    await used.none('BEGIN');
    await used.multi('SELECT 1');
    await used.done(true);
    expect(log).toEqual(['c1 taken', 'c1: BEGIN', 'c1: SELECT 1', 'c1 back, destroyed']);
  });

  it("holds one of the run's permits while it has a connection", async () => {
    const { db, log } = pool();
    const permits = new Permits(1);
    const [a, b] = [new SetConnection(db, permits, 'set-a'), new SetConnection(db, permits, 'set-b')];
    await a.none('BEGIN');
    const waiting = b.none('BEGIN');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['c1 taken', 'c1: BEGIN']);
    await a.done(false);
    await waiting;
    expect(log).toEqual(['c1 taken', 'c1: BEGIN', 'c1 back', 'c2 taken', 'c2: BEGIN']);
  });

  it('names the set when the database cannot be reached, and gives its permit back', async () => {
    const permits = new Permits(1);
    const conn = new SetConnection(pool(true).db, permits, 'set-a');
    await expect(conn.none('BEGIN')).rejects.toMatchObject({
      code: 'DB_FAILED',
      message: expect.stringMatching(/^set-a: connecting to the database: database unavailable: connect ECONNREFUSED/),
    });
    const other = new SetConnection(pool().db, permits, 'set-b');
    await other.none('BEGIN');
  });
});
