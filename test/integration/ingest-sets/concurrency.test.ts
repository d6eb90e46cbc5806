import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import { FRC_INFO, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('ingest sets mode: two loaders at once', () => {
  it('loads each set exactly once', async () => {
    const w = await world('two-loaders');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const dates = Array.from({ length: 24 }, (_, i) => `20140221T${String(i).padStart(2, '0')}0045`);
    for (const date of dates) {
      const name = `sdoss_106_${date}_sdo_feat.csv`;
      await w.write(`sdoss_106_${date}_sdo_init.csv`, init(date));
      await w.write(name, feat(name, 5));
    }
    const other = openDb({ url: w.test.url, schema: w.test.schema, poolSize: 8, applicationName: 'second-loader' });
    try {
      const [a, b] = await Promise.all([w.direct(), w.direct(other)]);
      expect(a.ok && b.ok).toBe(true);
      expect(Number(a.stats['loaded']) + Number(b.stats['loaded'])).toBe(24);
    } finally {
      await closeDb(other);
    }
    expect(await w.count('observations')).toBe(48);
    expect(await w.count('sunspots')).toBe(120);
    expect(await w.count('frc_info')).toBe(1);
    expect(await w.count('observatory')).toBe(2);
    const ledger = await w.ledger();
    expect(ledger.filter((r) => r.status === 'loaded')).toHaveLength(24);
    expect(new Set(ledger.map((r) => r.set_key)).size).toBe(24);
  });
});
