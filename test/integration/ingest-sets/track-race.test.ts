import { describe, expect, it } from 'vitest';
import { DATE, SPOCA, writeSpoca } from './sdoss-files.js';
import { backendPid, untilBlockedBy, useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();
const FEAT_NAME = `spoca-ar_301_${DATE}_sdo_feat.csv`;
const TRACK = `spoca_301_${DATE}_sdo_track.csv`;

async function spoca(w: SetsWorld): Promise<string> {
  await writeSpoca(w, 3);
  expect((await w.run()).stats).toMatchObject({ loaded: 1 });
  return (await w.ledger())[0]!.id;
}

describe('ingest sets mode: a replace racing a track load', () => {
  it('makes a track load wait for a replace under way, then wait for the new features (never rejected)', async () => {
    const w = await world('race-track', { code: 'spoca-ar' });
    const old = await spoca(w);
    // Another process replacing the set: its features locked, as retire() does first.
    const replacer = await w.db.connect();
    try {
      const holder = await backendPid(replacer);
      await replacer.none('BEGIN');
      await replacer.any('SELECT 1 FROM $1:name.activeregions WHERE load_id = $2 FOR UPDATE', [w.hfc, old]);
      await w.write(TRACK, SPOCA.track([[DATE, 2, 7]]));
      const run = w.run();
      await untilBlockedBy(w.db, holder);
      await replacer.none('DELETE FROM $1:name.activeregions WHERE load_id = $2; COMMIT', [w.hfc, old]);
      const outcome = await run;
      expect(outcome.stats).toMatchObject({ waiting: 1, rejected: 0, loaded: 0 });
    } finally {
      await replacer.done();
    }
    expect((await w.ledger()).filter((r) => r.kind === 'track').map((r) => r.status)).toEqual(['waiting']);
  });

  it('keeps (re-pointed) a tracking row whose load was in flight while the replace kept rows aside', async () => {
    const w = await world('race-replace', { code: 'spoca-ar' });
    await spoca(w);
    await w.write(TRACK, SPOCA.track([[DATE, 3, 8]]));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    const track = (await w.ledger()).find((r) => r.kind === 'track')!;
    // A track load in flight: its row inserted (its foreign key holds the feature), not committed.
    const loader = await w.db.connect();
    try {
      const holder = await backendPid(loader);
      await loader.none('BEGIN');
      await loader.none(
        `INSERT INTO $1:name.activeregions_tracking (track_id, ar_id, feat_filename, load_id)
           SELECT 7, id_ar, feat_filename, $2 FROM $1:name.activeregions WHERE feat_filename = $3 AND row_ordinal = 2`,
        [w.hfc, track.id, FEAT_NAME],
      );
      await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 3, 50));
      const run = w.run();
      await untilBlockedBy(w.db, holder);
      await loader.none('COMMIT');
      expect((await run).stats).toMatchObject({ loaded: 1, replaced: 1 });
    } finally {
      await loader.done();
    }
    const linked = await w.db.any<{ track_id: number; row_ordinal: number; x: number }>(
      `SELECT t.track_id, a.row_ordinal, a.feat_x_pix AS x FROM $1:name.activeregions_tracking t
         JOIN $1:name.activeregions a ON a.id_ar = t.ar_id ORDER BY t.track_id`,
      [w.hfc],
    );
    expect(linked).toEqual([
      { track_id: 7, row_ordinal: 2, x: 151 },
      { track_id: 8, row_ordinal: 3, x: 152 },
    ]);
  });

  it('lets a replace of a track file in flight finish first, and brings none of its old rows back', async () => {
    const w = await world('race-retrack', { code: 'spoca-ar' });
    await spoca(w);
    await w.write(TRACK, SPOCA.track([[DATE, 3, 8]]));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    const track = (await w.ledger()).find((r) => r.kind === 'track')!;
    // Another process replacing the track file by one pointing elsewhere, as load-track does:
    // its old ledger row retired, then its old rows deleted; not committed yet.
    const retracker = await w.db.connect();
    try {
      const holder = await backendPid(retracker);
      await retracker.none('BEGIN');
      await retracker.none(`UPDATE ingested_sets SET status = 'replaced' WHERE id = $1`, [track.id]);
      await retracker.none('DELETE FROM $1:name.activeregions_tracking WHERE load_id = $2', [w.hfc, track.id]);
      await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 3, 50));
      const run = w.run();
      await untilBlockedBy(w.db, holder);
      await retracker.none('COMMIT');
      expect((await run).stats).toMatchObject({ loaded: 1, replaced: 1, failed: 0 });
    } finally {
      await retracker.done();
    }
    const rows = await w.db.one<{ n: string }>('SELECT count(*) AS n FROM $1:name.activeregions_tracking', [w.hfc]);
    expect(rows.n).toBe('0');
  });
});
