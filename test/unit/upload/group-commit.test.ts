import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../../src/stages/upload/group-commit.js';

/** A commit the test ends by hand, recording what each batch carried. */
function manualCommits() {
  const batches: number[][] = [];
  const ends: Array<(fail?: Error) => void> = [];
  const commit = (items: readonly number[]) =>
    new Promise<Array<number | Error>>((resolve, reject) => {
      batches.push([...items]);
      ends.push((fail) => (fail ? reject(fail) : resolve(items.map((n) => (n < 0 ? new Error(`refused ${n}`) : n * 10)))));
    });
  return { batches, ends, commit };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit', () => {
  it('commits the changes of one turn together, and those submitted meanwhile in the next commit', async () => {
    const { batches, ends, commit } = manualCommits();
    const group = createGroupCommit(commit, { maxBatch: 100 });
    const first = [1, 2, 3].map((n) => group.submit(n));
    await turn();
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((n) => group.submit(n));
    await turn();
    // One writer: nothing else goes out while the first commit runs.
    expect(batches).toHaveLength(1);
    let settled = false;
    void Promise.all(second).then(() => (settled = true));
    ends[0]!();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    await turn();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    // Each caller waits for the commit that carries its own change.
    expect(settled).toBe(false);
    ends[1]!();
    expect(await Promise.all(second)).toEqual([40, 50]);
  });

  it('fails only the refused change, and the whole batch when the commit fails', async () => {
    const { ends, commit } = manualCommits();
    const group = createGroupCommit(commit, { maxBatch: 100 });
    const [ok, refused] = [group.submit(1), group.submit(-1)];
    await turn();
    ends[0]!();
    expect(await ok).toBe(10);
    await expect(refused).rejects.toThrow('refused -1');
    const lost = [group.submit(2), group.submit(3)];
    await turn();
    ends[1]!(new Error('connection lost'));
    for (const p of lost) await expect(p).rejects.toThrow('connection lost');
  });

  it('puts at most maxBatch changes in one commit', async () => {
    const { batches, ends, commit } = manualCommits();
    const group = createGroupCommit(commit, { maxBatch: 2 });
    const all = [1, 2, 3].map((n) => group.submit(n));
    await turn();
    ends[0]!();
    await turn();
    ends[1]!();
    expect(await Promise.all(all)).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2], [3]]);
  });
});
