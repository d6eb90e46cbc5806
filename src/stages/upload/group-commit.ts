/**
 * Group commit: one writer gathers the changes submitted by every file in flight and
 * commits them together, at most one commit at a time. A change submitted while a commit
 * runs waits for the next one; each caller's promise settles only once the commit that
 * carries its own change has settled, so "durable before the next side effect" holds
 * for every file while the database sees one commit per batch instead of one per change.
 */
export interface GroupCommitOptions {
  /** Most changes in one commit; more wait for the next. */
  maxBatch: number;
}

/**
 * Commits `items` in one transaction: for each item, in order, its result, or the
 * Error that item alone failed with. Rejecting fails every item of the batch (none of
 * them is durable).
 */
export type CommitBatch<I, O> = (items: readonly I[]) => Promise<ReadonlyArray<O | Error>>;

interface Waiting<I, O> {
  item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

export interface GroupCommit<I, O> {
  /** Settles once the commit carrying `item` has. */
  submit(item: I): Promise<O>;
}

export function createGroupCommit<I, O>(commit: CommitBatch<I, O>, options: GroupCommitOptions): GroupCommit<I, O> {
  const queue: Waiting<I, O>[] = [];
  let writing = false;

  const write = async () => {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      try {
        const results = await commit(batch.map((w) => w.item));
        batch.forEach((w, i) => {
          const result = results[i];
          if (result instanceof Error) w.reject(result);
          else w.resolve(result as O);
        });
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    writing = false;
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // The changes submitted in the same turn of the event loop go out together.
        if (!writing) {
          writing = true;
          setImmediate(() => void write());
        }
      });
    },
  };
}
