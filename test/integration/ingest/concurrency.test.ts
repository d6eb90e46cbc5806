import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import { featureCsv } from './feature-csv.js';
import { spawnIngest } from './spawn-child.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();

describe('two processes at once', () => {
  it('load every file exactly once between them', async () => {
    const world = await newWorld('concurrent');
    const files = 24;
    for (let i = 0; i < files; i++) await world.write(`f${String(i).padStart(2, '0')}.csv`, featureCsv(`f${i}.csv`, 2000 + i));

    const a = spawnIngest(world.spec, 'nocturne-test-a', 1);
    const b = spawnIngest(world.spec, 'nocturne-test-b', 2);
    const [ra, rb] = await Promise.all([a.outcome, b.outcome]);
    expect(ra.ok && rb.ok).toBe(true);
    // Each file was loaded by exactly one of them; the other skipped it (done, or busy meanwhile).
    expect(ra.stats['loaded']! + rb.stats['loaded']!).toBe(files);
    expect(ra.stats['loaded']! + ra.stats['skipped']!).toBe(files);
    expect(rb.stats['loaded']! + rb.stats['skipped']!).toBe(files);
    const expectedRows = Array.from({ length: files }, (_, i) => 2000 + i).reduce((x, y) => x + y, 0);
    expect(await world.count()).toBe(expectedRows);
    const ledger = await world.ledger();
    expect(ledger).toHaveLength(files);
    expect(new Set(ledger.map((l) => l.run_id))).toEqual(new Set(['1', '2'].filter((id) => (id === '1' ? ra : rb).stats['loaded']! > 0)));
  });

  it('two pools in one process, racing file by file, still load once', async () => {
    const world = await newWorld('pools');
    for (let i = 0; i < 12; i++) await world.write(`g${i}.csv`, featureCsv(`g${i}.csv`, 50));
    const other = openDb({ url: world.spec.url, schema: world.spec.schema, poolSize: 2, applicationName: 'nocturne-test-other' });
    try {
      const [x, y] = await Promise.all([world.direct(), world.direct({ db: other })]);
      expect(x.stats['loaded']! + y.stats['loaded']!).toBe(12);
      expect(await world.count()).toBe(600);
      expect(await world.ledger()).toHaveLength(12);
    } finally {
      await closeDb(other);
    }
  });
});
