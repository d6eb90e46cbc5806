import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/stages/ingest/common/connection.js';
import { SetGroups, type Grouped } from '../../../src/stages/ingest/sets/set-groups.js';
import { Phase } from '../../../src/stages/ingest/sets/set-statements.js';
import { quietLogger } from '../../../harness/stage-context.js';

/** A connection that records the messages sent on it, refusing those holding 'refused', each answered after `ms`. */
function connection(name: string, sent: string[], ms = 5): Connection {
  const none = async (text: string) => {
    sent.push(`${name}: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (text.includes('refused') && text !== 'ROLLBACK') throw new Error('refused by the database');
    return null;
  };
  return { none } as unknown as Connection;
}

/** Loads set `key` (one statement) through `groups`; alone, it sends its own message. */
function load(groups: SetGroups, conn: Connection, key: string): Promise<Grouped<string>> {
  return groups.load(conn, [{ phase: Phase.locks, sql: `load ${key}` }], key, async () => {
    await conn.none(`alone ${key}`);
    return `${key} alone`;
  });
}

describe('SetGroups', () => {
  it('loads sets alone while fewer than two loads are in flight, and the sets that came meanwhile in one transaction', async () => {
    const sent: string[] = [];
    const groups = new SetGroups(quietLogger);
    const first = [load(groups, connection('a', sent), 's1'), load(groups, connection('b', sent), 's2')];
    const others = [load(groups, connection('c', sent), 's3'), load(groups, connection('d', sent), 's4')];
    expect(await Promise.all(first)).toEqual([
      { grouped: false, result: 's1 alone' },
      { grouped: false, result: 's2 alone' },
    ]);
    expect(await Promise.all(others)).toEqual([{ grouped: true }, { grouped: true }]);
    expect(sent).toEqual(['a: alone s1', 'b: alone s2', 'c: BEGIN;\nSET LOCAL synchronous_commit = off;\nload s3;\nload s4;\nCOMMIT']);
  });

  it('rolls back a group the database refuses, then loads each of its sets alone', async () => {
    const sent: string[] = [];
    const groups = new SetGroups(quietLogger);
    const first = [load(groups, connection('a', sent), 's1'), load(groups, connection('b', sent), 's2')];
    const others = [load(groups, connection('c', sent), 'refused'), load(groups, connection('d', sent), 's4')];
    await Promise.all(first);
    const outcomes = await Promise.allSettled(others);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { message: 'refused by the database' } });
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: { grouped: false, result: 's4 alone' } });
    expect(sent.slice(2).map((m) => m.replace(/;\n/g, '; '))).toEqual([
      'c: BEGIN; SET LOCAL synchronous_commit = off; load refused; load s4; COMMIT',
      'c: ROLLBACK',
      'c: alone refused',
      'd: alone s4',
    ]);
  });
});
