import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { setLockKeys } from '../../../src/stages/ingest/sets/set-ledger.js';
import { FEAT, FRC_INFO, KEY, OBSERVATORY, feat } from './sdoss-files.js';
import { backendPid, untilBlockedBy, useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('ingest sets mode: initWait expiring while another process loads the set', () => {
  it('waits for the load under way, and then neither rejects nor sets aside what it listed', async () => {
    const w = await world('wait-race', { sets: { initWait: '1s' } });
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(FEAT, feat(FEAT, 3));
    expect((await w.run()).stats).toMatchObject({ waiting: 1 });
    const { source } = await w.db.one<{ source: string }>(
      `UPDATE ingested_sets SET first_seen_at = first_seen_at - interval '1 hour' RETURNING source`,
    );
    // Another process loading the complete set (init + feat) this process has not listed yet.
    const other = await w.db.connect();
    try {
      const holder = await backendPid(other);
      await other.none('BEGIN');
      await other.one('SELECT pg_advisory_xact_lock($1, $2)', setLockKeys({ source, reemissionKey: KEY.replace('_106_', '_*_') }));
      const run = w.run();
      // Its initWait over, the run waits for the set key's lock (recordWaiting).
      await untilBlockedBy(w.db, holder);
      await other.none(
        `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host, finished_at)
         VALUES ($1, 'sdoss', 'sdoss', '1.06', $2, 'set', $3, '[]', 'loaded', 'other', clock_timestamp()); COMMIT`,
        [source, KEY, 'a'.repeat(64)],
      );
      const outcome = await run;
      expect(outcome.stats).toMatchObject({ skipped: 1, rejected: 0, waiting: 0 });
    } finally {
      await other.done();
    }
    expect((await w.ledger()).map((r) => r.status)).toEqual(['loaded']);
    expect(await readdir(w.source)).toContain(FEAT);
  });
});
