import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../../src/db/database.js';
import { DATE, SPOCA, writeSpoca } from './sdoss-files.js';
import { recordQueries } from '../../../harness/sent-queries.js';
import { backendPid, untilBlockedBy, useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();
const DATES = [DATE, '20140221T060000', '20140221T120000'];
const trackName = (date: string) => `spoca_301_${date}_sdo_track.csv`;
/** Each track file: regions 1 and 3 of its own map, and region 9, which the feat file leaves out (not loaded, noted). */
const trackOf = (date: string, n: number) =>
  SPOCA.track([
    [date, 1, 10 * n + 1],
    [date, 3, 10 * n + 3],
    [date, 9, 10 * n + 9],
  ]);

/** The statements this process sends: which way a track file took. */
const sent: string[] = [];
let stopRecording: () => void;
beforeAll(() => (stopRecording = recordQueries(sent)));
afterAll(() => stopRecording());

/** Track files that took the long way (their features looked up first), and those loaded in one message. */
function ways(): { lookedUp: number; oneMessage: number } {
  // A group commit sends several track files' statements in one message.
  const count = (pattern: RegExp) => sent.reduce((n, text) => n + (text.match(pattern)?.length ?? 0), 0);
  return { lookedUp: count(/f\.local_id AS local_id/g), oneMessage: count(/SELECT 1 \/ \(count\(\*\) = /g) };
}

/** The run on a pool of 2: its loads hold one connection at a time, so each group (or set alone) commits before the next goes. */
async function runOneAtATime(w: SetsWorld): Promise<ReturnType<SetsWorld['direct']>> {
  const single = openDb({ url: w.test.url, schema: w.test.schema, poolSize: 2, applicationName: 'one-set-in-flight' });
  try {
    return await w.direct(single);
  } finally {
    await closeDb(single);
  }
}

/** The tracking rows by what they point at, and the track files' ledger rows. */
async function tracked(w: SetsWorld): Promise<unknown> {
  const rows = await w.db.any(
    `SELECT t.track_id, f.feat_filename, f.row_ordinal, f.local_id
       FROM $1:name.activeregions_tracking t JOIN $1:name.activeregions f ON f.id_ar = t.ar_id ORDER BY t.track_id`,
    [w.hfc],
  );
  const ledger = (await w.ledger()).filter((r) => r.kind === 'track').map((r) => ({ key: r.set_key, rows: r.rows, error: r.error }));
  return { rows, ledger };
}

describe('ingest sets mode: a track file whose sets this run loaded', () => {
  it('loads in the message of its rows, exactly what the long way loads', async () => {
    sent.length = 0;
    const w = await world('track-one', { code: 'spoca-ar' });
    await writeSpoca(w);
    for (const [n, date] of DATES.entries()) {
      await w.write(`${SPOCA.key(date)}_init.csv`, SPOCA.init(date));
      await w.write(`${SPOCA.key(date)}_feat.csv`, SPOCA.feat(date, 3));
      await w.write(trackName(date), trackOf(date, n));
    }
    expect((await runOneAtATime(w)).stats).toMatchObject({ loaded: 6, rejected: 0, waiting: 0, failed: 0 });
    expect(ways()).toEqual({ lookedUp: 0, oneMessage: 3 });
    // The member names the loader writes are those the database computes (retention reads them).
    const names = await w.db.any<{ names: string[]; same: boolean }>(
      'SELECT member_names AS names, member_names IS NOT DISTINCT FROM member_names(members) AS same FROM ingested_sets ORDER BY id',
    );
    expect(names.map((r) => r.same)).toEqual(names.map(() => true));
    expect(names.map((r) => r.names.length).sort()).toEqual([1, 1, 1, 2, 2, 2]);

    // The same files, the track files in a run of their own: the long way.
    sent.length = 0;
    const v = await world('track-long', { code: 'spoca-ar' });
    await writeSpoca(v);
    for (const date of DATES) {
      await v.write(`${SPOCA.key(date)}_init.csv`, SPOCA.init(date));
      await v.write(`${SPOCA.key(date)}_feat.csv`, SPOCA.feat(date, 3));
    }
    expect((await v.run()).stats).toMatchObject({ loaded: 3 });
    for (const [n, date] of DATES.entries()) await v.write(trackName(date), trackOf(date, n));
    expect((await v.run()).stats).toMatchObject({ loaded: 3, rejected: 0 });
    expect(ways()).toEqual({ lookedUp: 3, oneMessage: 0 });

    const loaded = await tracked(w);
    expect(loaded).toEqual(await tracked(v));
    expect(loaded).toMatchObject({
      rows: [
        { track_id: 1, row_ordinal: 1 },
        { track_id: 3, row_ordinal: 3 },
        { track_id: 11 },
        { track_id: 13 },
        { track_id: 21 },
        { track_id: 23 },
      ],
      ledger: DATES.map(() => ({
        rows: { activeregions_tracking: 2 },
        error: expect.stringMatching(/^1 rows not loaded: .*line 4 \(ID_AR 9\)$/),
      })),
    });
  });

  /**
   * A world whose set and track file load in a run started here, the track file held on
   * its waiting row (which its message deletes first) by another process, `holder`.
   * Without the foreign key, only the message's own check stands between it and rows
   * pointing at nothing.
   */
  async function heldTrack(label: string) {
    const w = await world(label, { code: 'spoca-ar' });
    await w.db.none('ALTER TABLE $1:name.activeregions_tracking DROP CONSTRAINT activeregions_tracking_ar_id_fkey', [w.hfc]);
    await writeSpoca(w);
    await w.write(trackName(DATE), trackOf(DATE, 0));
    expect((await w.run()).stats).toMatchObject({ waiting: 1 });
    await w.write(`${SPOCA.key(DATE)}_init.csv`, SPOCA.init(DATE));
    await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 3));
    const holder = await w.db.connect();
    await holder.none('BEGIN');
    await holder.any(`SELECT 1 FROM ingested_sets WHERE kind = 'track' FOR UPDATE`);
    sent.length = 0;
    const run = runOneAtATime(w);
    await untilBlockedBy(w.db, await backendPid(holder));
    return { w, run, holder };
  }

  /** What another process's replace of the set does: its load no longer live, its features gone. */
  const REPLACE = `UPDATE ingested_sets SET status = 'replaced' WHERE kind = 'set' AND status = 'loaded' RETURNING id;
     DELETE FROM $1:name.activeregions WHERE load_id IN (SELECT id FROM ingested_sets WHERE kind = 'set' AND status = 'replaced')`;

  async function expectWaiting(w: SetsWorld, run: ReturnType<typeof runOneAtATime>): Promise<void> {
    expect((await run).stats).toMatchObject({ loaded: 1, waiting: 1, rejected: 0, failed: 0 });
    expect(ways()).toEqual({ lookedUp: 1, oneMessage: 1 });
    expect(await w.count('activeregions_tracking')).toBe(0);
    expect((await w.ledger()).filter((r) => r.kind === 'track').map((r) => r.status)).toEqual(['waiting']);
  }

  it('takes the long way, and waits, when a set it knows is replaced before its message runs', async () => {
    const { w, run, holder } = await heldTrack('track-stale');
    try {
      await holder.none(`${REPLACE}; COMMIT`, [w.hfc]);
      await expectWaiting(w, run);
    } finally {
      await holder.done();
    }
  });

  it('waits for a replace under way at the ledger row of the set, then takes the long way', async () => {
    const { w, run, holder } = await heldTrack('track-replacing');
    const replacer = await w.db.connect();
    try {
      // The replace begins (not committed) while the message waits; then the message goes on, to the set's ledger row.
      await replacer.none('BEGIN');
      await replacer.any(REPLACE, [w.hfc]);
      await holder.none('COMMIT');
      await untilBlockedBy(w.db, await backendPid(replacer));
      await replacer.none('COMMIT');
      await expectWaiting(w, run);
    } finally {
      await holder.done();
      await replacer.done();
    }
  });
});
