import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FRC_INFO, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const world = useSetsWorlds();

describe('ingest sets mode: kill -9 in the middle of a night', () => {
  it('leaves every set loaded whole or not at all, and the next run loads the rest exactly once', async () => {
    const w = await world('kill');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const sets = 200;
    for (let i = 0; i < sets; i++) {
      const date = `201402${String(1 + Math.floor(i / 24)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}0045`;
      const name = `sdoss_106_${date}_sdo_feat.csv`;
      await w.write(`sdoss_106_${date}_sdo_init.csv`, init(date));
      await w.write(name, feat(name, 20));
    }
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(w.spec), '7'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    await expect
      .poll(async () => Number((await w.db.one<{ n: string }>(`SELECT count(*) AS n FROM ingested_sets`)).n), {
        timeout: 60_000,
        interval: 20,
      })
      .toBeGreaterThan(5);
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    // Killed mid-night (had it finished first, the test would prove nothing).
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    const before = Number((await w.db.one<{ n: string }>(`SELECT count(*) AS n FROM ingested_sets`)).n);
    expect(before).toBeLessThan(sets);
    // What the killed process committed is whole: each load has its 2 observations and 20 sunspots.
    const partial = await w.db.any(
      `SELECT s.id FROM ingested_sets s
        WHERE (SELECT count(*) FROM $1:name.observations o WHERE o.load_id = s.id) <> 2
           OR (SELECT count(*) FROM $1:name.sunspots f WHERE f.load_id = s.id) <> 20`,
      [w.hfc],
    );
    expect(partial).toEqual([]);

    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: sets - before, skipped: before });
    const ledger = await w.ledger();
    expect(ledger.filter((r) => r.status === 'loaded')).toHaveLength(sets);
    expect(new Set(ledger.map((r) => r.set_key)).size).toBe(sets);
    expect(await w.count('observations')).toBe(2 * sets);
    expect(await w.count('sunspots')).toBe(20 * sets);
  }, 120_000);
});
