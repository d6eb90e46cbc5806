import { describe, expect, it } from 'vitest';
import { inOrder, merged, Phase, type SetStatement } from '../../../src/stages/ingest/sets/set-statements.js';

/** A new set's load as loadSet() writes it: its lock, its ledger row, its observations and features. */
function setLoad(n: number, features: number, featHead = 'INSERT INTO f (a) VALUES '): SetStatement[] {
  return [
    { phase: Phase.locks, sql: `lock ${n}` },
    { phase: Phase.ledger, head: 'INSERT INTO ledger (k) VALUES ', rows: [`(${n})`] },
    { phase: Phase.observations, head: 'INSERT INTO o (a) VALUES ', rows: [`(o${n})`] },
    { phase: Phase.features, head: featHead, rows: Array.from({ length: features }, (_, i) => `(f${n}.${i + 1})`) },
  ];
}

describe('the statements of grouped loads', () => {
  it('are, for one load alone, its own statements in their order', () => {
    expect(inOrder(setLoad(1, 2))).toEqual([
      'lock 1',
      'INSERT INTO ledger (k) VALUES (1)',
      'INSERT INTO o (a) VALUES (o1)',
      'INSERT INTO f (a) VALUES (f1.1),\n(f1.2)',
    ]);
  });

  it('go phase by phase, the rows of one table and columns in one INSERT, others apart', () => {
    const track: SetStatement[] = [
      { phase: Phase.locks, sql: 'lock t' },
      { phase: Phase.ledger, head: 'INSERT INTO ledger (k, error) VALUES ', rows: ['(t, e)'] },
      { phase: Phase.tracking, head: 'INSERT INTO t (a) VALUES ', rows: ['(t1)'] },
    ];
    expect(merged([setLoad(1, 1), track, setLoad(2, 2, 'INSERT INTO f (a, extra) VALUES '), setLoad(3, 1)])).toEqual([
      'lock 1',
      'lock t',
      'lock 2',
      'lock 3',
      'INSERT INTO ledger (k) VALUES (1),\n(2),\n(3)',
      'INSERT INTO ledger (k, error) VALUES (t, e)',
      'INSERT INTO o (a) VALUES (o1),\n(o2),\n(o3)',
      'INSERT INTO f (a) VALUES (f1.1),\n(f3.1)',
      'INSERT INTO f (a, extra) VALUES (f2.1),\n(f2.2)',
      'INSERT INTO t (a) VALUES (t1)',
    ]);
  });

  it('keep each INSERT to 500 rows, alone or merged', () => {
    const rowsOf = (statements: string[]) => statements.filter((s) => s.startsWith('INSERT INTO f')).map((s) => s.split('\n').length);
    expect(rowsOf(inOrder(setLoad(1, 1201)))).toEqual([500, 500, 201]);
    expect(rowsOf(merged([setLoad(1, 300), setLoad(2, 300)]))).toEqual([500, 100]);
  });
});
