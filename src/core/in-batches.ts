/**
 * `work` over every item, `size` at a time, results in item order. For many small
 * asynchronous file system calls (stat of a directory's files): one at a time, each
 * waits its own round through the threadpool (2,000 lstat: ~80-100 ms here); in batches
 * of 64 they overlap (~11 ms, as fast as lstatSync) without blocking the event loop.
 */
export async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  }
  return results;
}

/** Batch size for stat-like calls: the libuv threadpool's 4 threads are kept busy, the queue short. */
export const STAT_BATCH = 64;
