import { describe, expect, it } from 'vitest';
import { sleep } from '../../../src/core/abort.js';
import { writeFeatureCsv } from './feature-csv.js';
import { spawnIngest } from './spawn-child.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();

const ROWS = 150_000;

describe('kill -9 in the middle of a file', () => {
  it('leaves no row and no ledger entry of that file, and the next run loads it whole', async () => {
    const world = await newWorld('kill');
    await writeFeatureCsv(`${world.source}/big.csv`, 'big.csv', ROWS);
    const child = spawnIngest(world.spec, 'nocturne-test-kill', 7);
    child.outcome.catch(() => undefined);

    // Wait until the child's COPY has stored part of the file, then kill it outright.
    let copied = 0;
    for (let waited = 0; copied < 5_000; waited += 20) {
      if (waited > 30_000) throw new Error('the child never started its COPY');
      const progress = await world.db.oneOrNone<{ tuples_processed: string }>(
        `SELECT p.tuples_processed FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid)
          WHERE a.application_name = 'nocturne-test-kill'`,
      );
      copied = Number(progress?.tuples_processed ?? 0);
      if (copied < 5_000) await sleep(20);
    }
    expect(copied).toBeLessThan(ROWS);
    child.process.kill('SIGKILL');
    await expect(child.outcome).rejects.toThrow(/SIGKILL/);

    // The server notices the dead client and rolls its transaction back.
    for (let waited = 0; ; waited += 50) {
      const live = await world.db.one<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'nocturne-test-kill'`,
      );
      if (live.n === 0) break;
      if (waited > 10_000) throw new Error('the killed child is still connected');
      await sleep(50);
    }
    expect(await world.count()).toBe(0);
    expect(await world.ledger()).toEqual([]);

    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, inserted: ROWS });
    expect(await world.count()).toBe(ROWS);
    expect(await world.ledger()).toHaveLength(1);
  });
});
