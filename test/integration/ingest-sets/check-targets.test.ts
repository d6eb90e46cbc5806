import { describe, expect, it } from 'vitest';
import { checkIngestTargets } from '../../../src/stages/ingest/index.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('nocturne validate --db, sets mode', () => {
  it('finds nothing wrong with the installed catalogue', async () => {
    const w = await world('check-ok', { code: 'spoca-ar' });
    expect(await checkIngestTargets(w.db, w.config)).toEqual([]);
  });

  it('names a missing table, and a referenced column the table lacks, at their lines', async () => {
    const missing = await world('check-table', { sets: { features: { table: 'sunspot', localId: 'ID_SUNSPOT', references: {} } } });
    const [issue] = await checkIngestTargets(missing.db, missing.config);
    expect(issue?.message).toBe(`ingest.sets.features: table ${missing.hfc}.sunspot does not exist`);
    expect(issue?.line).toBeGreaterThan(1);

    const column = await world('check-column', {
      sets: { features: { table: 'sunspots', localId: 'ID_SUNSPOT', references: { FRC_INFO_ID: 'frcInfo', OBS_IC: 'observations' } } },
    });
    const issues = await checkIngestTargets(column.db, column.config);
    expect(issues.map((i) => i.message)).toEqual([
      `ingest.sets.features: table ${column.hfc}.sunspots has no column obs_ic (the column of reference OBS_IC)`,
    ]);
  });
});
