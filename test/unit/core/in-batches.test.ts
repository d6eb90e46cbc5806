import { describe, expect, it } from 'vitest';
import { inBatches } from '../../../src/core/in-batches.js';

describe('inBatches', () => {
  it('gives the results in item order, never more than a batch in flight', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 10 }, (_, i) => i);
    const results = await inBatches(items, 4, async (n) => {
      running += 1;
      most = Math.max(most, running);
      // Later items finish first: the order must come from the items, not the finishing.
      await new Promise((resolve) => setTimeout(resolve, 10 - n));
      running -= 1;
      return n * 2;
    });
    expect(results).toEqual(items.map((n) => n * 2));
    expect(most).toBe(4);
  });

  it('fails with the first failure of a batch and starts no later batch', async () => {
    const started: number[] = [];
    const failing = inBatches([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 2) throw new Error(`item ${n}`);
      return n;
    });
    await expect(failing).rejects.toThrow('item 2');
    expect(started).toEqual([1, 2]);
  });
});
