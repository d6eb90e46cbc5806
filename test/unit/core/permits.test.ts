import { describe, expect, it } from 'vitest';
import { Permits } from '../../../src/core/permits.js';

describe('Permits', () => {
  it('lets `count` holders in at once, and the others in order as permits come back', async () => {
    const permits = new Permits(2);
    const order: string[] = [];
    const enter = (name: string) => permits.take().then(() => order.push(name));
    await Promise.all([enter('a'), enter('b')]);
    const waiting = [enter('c'), enter('d')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual(['a', 'b']);
    permits.release();
    await waiting[0];
    expect(order).toEqual(['a', 'b', 'c']);
    permits.release();
    await waiting[1];
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    // Both given back: two can enter again without waiting.
    permits.release();
    permits.release();
    await Promise.all([enter('e'), enter('f')]);
    expect(order.slice(4)).toEqual(['e', 'f']);
  });

  it('holds a permit for the run of a function, and gives it back when the function fails', async () => {
    const permits = new Permits(1);
    await expect(permits.with(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    let inside = 0;
    const both = [permits.with(async () => (inside += 1)), permits.with(async () => (inside += 1))];
    expect(await Promise.all(both)).toEqual([1, 2]);
  });
});

describe('Permits with amounts (bytes in flight)', () => {
  it('lets in what fits, in order, and something larger than the whole once nothing else is held', async () => {
    const budget = new Permits(10);
    const order: string[] = [];
    const enter = (name: string, amount: number) => budget.take(amount).then(() => order.push(name));
    await enter('a', 6);
    const later = [enter('big', 25), enter('b', 1)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    // b would fit, but waits behind big: first come, first served.
    expect(order).toEqual(['a']);
    budget.release(6);
    await later[0];
    expect(order).toEqual(['a', 'big']);
    budget.release(25);
    await later[1];
    expect(order).toEqual(['a', 'big', 'b']);
  });
});
