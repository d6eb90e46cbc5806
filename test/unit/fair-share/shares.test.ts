import { describe, expect, it } from 'vitest';
import { admissible, fairShares, waitingDemand } from '../../../src/fair-share/shares.js';

describe('fairShares', () => {
  it('gives a small demand all it wants and shares the rest among the others', () => {
    const shares = fairShares(
      10,
      new Map([
        ['big', 1000],
        ['small', 2],
        ['mid', 1000],
      ]),
    );
    expect(Object.fromEntries(shares)).toEqual({ small: 2, big: 4, mid: 4 });
  });

  it('hands the remainder of a division out, never more than the capacity', () => {
    const shares = fairShares(
      8,
      new Map([
        ['a', 100],
        ['b', 100],
        ['c', 100],
      ]),
    );
    expect([...shares.values()].reduce((a, b) => a + b, 0)).toBe(8);
    expect(Math.max(...shares.values()) - Math.min(...shares.values())).toBeLessThanOrEqual(1);
  });
});

describe('admissible', () => {
  const caps = { ledger: null, global: 8 };

  it('lets a ledger alone take the whole global cap', () => {
    expect(admissible('big', 1000, [], caps)).toBe(8);
  });

  it('holds back a ledger above its share, so the slots its tasks free go to the one below', () => {
    const loads = [
      { ledger: 'big', live: 8, waiting: 992 },
      { ledger: 'small', live: 0, waiting: 10 },
    ];
    expect(admissible('big', 992, loads, caps)).toBe(0);
    // Two of big's tasks ended: small takes both free slots, big none.
    const after = [
      { ledger: 'big', live: 6, waiting: 992 },
      { ledger: 'small', live: 0, waiting: 10 },
    ];
    expect(admissible('small', 10, after, caps)).toBe(2);
    expect(admissible('big', 992, after, caps)).toBe(0);
  });

  it('applies the ledger cap and never a negative count', () => {
    expect(admissible('p', 50, [{ ledger: 'p', live: 3, waiting: 0 }], { ledger: 4, global: null })).toBe(1);
    expect(admissible('p', 50, [{ ledger: 'p', live: 9, waiting: 0 }], { ledger: 4, global: 8 })).toBe(0);
  });

  it('gives what a small ledger leaves unused to the big one (no idle slot)', () => {
    const loads = [{ ledger: 'small', live: 2, waiting: 0 }];
    expect(admissible('big', 1000, loads, caps)).toBe(6);
  });
});

describe('waitingDemand', () => {
  it('says a ledger at its own cap waits for nothing more, so a small one beside it gets every free slot', () => {
    // The rig test's case: the big pipeline holds its cap of 6 with 994 observations left.
    const big = waitingDemand(994, 0, 6, 6);
    expect(big).toBe(0);
    const loads = [
      { ledger: 'big', live: 6, waiting: big },
      { ledger: 'small', live: 0, waiting: 0 },
    ];
    expect(admissible('small', 10, loads, { ledger: null, global: 16 })).toBe(10);
    // Counting the big one's whole backlog instead gave the small one only an equal part.
    expect(admissible('small', 10, [{ ledger: 'big', live: 6, waiting: 994 }], { ledger: null, global: 16 })).toBe(8);
  });

  it('is what is left of the demand, within the room under the own cap', () => {
    expect(waitingDemand(50, 10, 0, null)).toBe(40);
    expect(waitingDemand(50, 2, 3, 6)).toBe(1);
    expect(waitingDemand(5, 0, 0, 100)).toBe(5);
    expect(waitingDemand(5, 0, 9, 6)).toBe(0);
  });
});
