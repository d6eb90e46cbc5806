import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, SPOCA, feat, init } from './sdoss-files.js';
import { useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();
const OTHER = '20140221T060045';

async function sdoss(w: SetsWorld): Promise<void> {
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
  await w.write(INIT, init(DATE));
  await w.write(FEAT, feat(FEAT, 3));
  const other = `sdoss_106_${OTHER}_sdo_feat.csv`;
  await w.write(`sdoss_106_${OTHER}_sdo_init.csv`, init(OTHER));
  await w.write(other, feat(other, 2));
}

/** SDOSS 1.07's set of the night's first observation, and its metadata files; its set key. */
async function version107(w: SetsWorld): Promise<string> {
  const key = KEY.replace('_106_', '_107_');
  await w.write('sdoss_107_frc_info.csv', FRC_INFO.replace(';1.06;', ';1.07;'));
  await w.write('sdoss_107_observatory.csv', OBSERVATORY);
  await w.write(`${key}_init.csv`, init(DATE));
  await w.write(`${key}_feat.csv`, feat(`${key}_feat.csv`, 4));
  return key;
}

describe('ingest sets mode: re-emitted sets', () => {
  it('skips a set emitted again unchanged', async () => {
    const w = await world('same');
    await sdoss(w);
    await w.run();
    await w.write(FEAT, feat(FEAT, 3));
    const again = await w.run();
    expect(again.stats).toMatchObject({ loaded: 0, skipped: 2 });
    expect((await w.ledger()).map((r) => r.status)).toEqual(['loaded', 'loaded']);
  });

  it('replaces the rows of a changed set, and nothing else', async () => {
    const w = await world('replace');
    await sdoss(w);
    await w.run();
    const before = await w.db.any<{ id: string; set_key: string }>(
      `SELECT id_sunspot::text AS id, feat_filename AS set_key FROM $1:name.sunspots ORDER BY 1`,
      [w.hfc],
    );
    const loadedAt = (await w.ledger()).find((r) => r.set_key === KEY)!.finished_at;
    await w.write(FEAT, feat(FEAT, 4, 1000));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, replaced: 1, skipped: 1 });
    const ledger = await w.ledger();
    const mine = ledger.filter((r) => r.set_key === KEY);
    expect(mine.map((r) => r.status)).toEqual(['replaced', 'loaded']);
    expect(mine[0]!.replaced_by).toBe(mine[1]!.id);
    // The replaced load keeps the time it was loaded (ingestion_stats counts it on that night).
    expect(mine[0]!.finished_at).toEqual(loadedAt);
    expect(mine[0]!.replaced_at).toEqual(mine[1]!.finished_at);
    expect(await w.count('observations')).toBe(4);
    const rows = await w.db.any<{ feat_filename: string; load_id: string; x: number }>(
      `SELECT feat_filename, load_id::text, feat_x_arcsec AS x FROM $1:name.sunspots ORDER BY feat_filename, row_ordinal`,
      [w.hfc],
    );
    expect(rows.filter((r) => r.feat_filename === FEAT).map((r) => [r.load_id, r.x])).toEqual(
      [0, 1, 2, 3].map((i) => [mine[1]!.id, -412.318 + i + 1000]),
    );
    // The other set's rows are untouched: same ids.
    const untouched = before.filter((r) => r.set_key !== FEAT).map((r) => r.id);
    const after = await w.db.any<{ id: string }>(
      `SELECT id_sunspot::text AS id FROM $1:name.sunspots WHERE feat_filename <> $2 ORDER BY 1`,
      [w.hfc, FEAT],
    );
    expect(after.map((r) => r.id)).toEqual(untouched);
    const orphans = await w.db.one<{ n: string }>(`SELECT count(*) AS n FROM $1:name.observations WHERE load_id = $2`, [
      w.hfc,
      mine[0]!.id,
    ]);
    expect(orphans.n).toBe('0');
  });

  it('loads a content again when the set comes back to it after a replacement (A, B, A)', async () => {
    const w = await world('aba');
    await sdoss(w);
    await w.run();
    await w.write(FEAT, feat(FEAT, 4, 1000));
    await w.run();
    await w.write(FEAT, feat(FEAT, 3));
    expect((await w.run()).stats).toMatchObject({ loaded: 1, replaced: 1 });
    const mine = (await w.ledger()).filter((r) => r.set_key === KEY);
    expect(mine.map((r) => r.status)).toEqual(['replaced', 'replaced', 'loaded']);
    expect(mine[0]!.content_sha256).toBe(mine[2]!.content_sha256);
    const live = await w.db.any<{ load_id: string }>(`SELECT DISTINCT load_id::text FROM $1:name.sunspots WHERE feat_filename = $2`, [
      w.hfc,
      FEAT,
    ]);
    expect(live).toEqual([{ load_id: mine[2]!.id }]);
    expect(await w.count('sunspots')).toBe(5);
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 2 });
  });

  it('with reemitted: keep, keeps the first load and records the new content as refused', async () => {
    const w = await world('keep', { sets: { reemitted: 'keep' } });
    await sdoss(w);
    await w.run();
    await w.write(FEAT, feat(FEAT, 4, 1000));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: 0, refused: 1 });
    const mine = (await w.ledger()).filter((r) => r.set_key === KEY);
    expect(mine.map((r) => r.status)).toEqual(['loaded', 'refused']);
    expect(mine[1]!.error).toMatch(/re-emitted with other content; reemitted: keep keeps load/);
    expect(await w.count('sunspots')).toBe(5);
    expect((await w.run()).stats).toMatchObject({ refused: 0, skipped: 2 });
  });

  it("replaces the old version's load of an observation with the new version's set, and keeps the other sets", async () => {
    const w = await world('version');
    await sdoss(w);
    expect((await w.run()).stats).toMatchObject({ loaded: 2 });
    // SDOSS 1.07 processes the same images: same observatory, DATE_OBS and file names.
    await w.reconfigure({}, '1.07');
    const v107 = await version107(w);
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, replaced: 1, rejected: 0 });
    const ledger = await w.ledger();
    expect(ledger.map((r) => [r.set_key, r.status])).toEqual([
      [KEY, 'replaced'],
      [`sdoss_106_${OTHER}_sdo`, 'loaded'],
      [v107, 'loaded'],
    ]);
    expect(ledger[0]!.replaced_by).toBe(ledger[2]!.id);
    const perVersion = await w.db.any<{ version: string; feat: string; sunspots: number }>(
      `SELECT i.version, s.feat_filename AS feat, count(*)::int AS sunspots
         FROM $1:name.sunspots s JOIN $1:name.frc_info i ON i.id_frc_info = s.frc_info_id GROUP BY 1, 2 ORDER BY 1, 2`,
      [w.hfc],
    );
    // The night's 1.06 features are gone with their observations; the other set's stay.
    expect(perVersion).toEqual([
      { version: '1.06', feat: `sdoss_106_${OTHER}_sdo_feat.csv`, sunspots: 2 },
      { version: '1.07', feat: `${v107}_feat.csv`, sunspots: 4 },
    ]);
    expect(await w.count('observations')).toBe(4);
    // Emitted again unchanged, nothing is loaded twice.
    expect((await w.run()).stats).toMatchObject({ loaded: 0, skipped: 1 });
  });

  it("with reemitted: keep, keeps the old version's load and records the new version's set as refused", async () => {
    const w = await world('version-keep', { sets: { reemitted: 'keep' } });
    await sdoss(w);
    await w.run();
    await w.reconfigure({}, '1.07');
    const v107 = await version107(w);
    expect((await w.run()).stats).toMatchObject({ loaded: 0, refused: 1 });
    const mine = (await w.ledger()).filter((r) => r.set_key === KEY || r.set_key === v107);
    expect(mine.map((r) => [r.set_key, r.status])).toEqual([
      [KEY, 'loaded'],
      [v107, 'refused'],
    ]);
    expect(mine[1]!.error).toBe(`${v107}: re-emitted with other content; reemitted: keep keeps load ${mine[0]!.id}`);
    expect(await w.count('sunspots')).toBe(5);
  });

  it('re-points the tracking rows of replaced features to the new features', async () => {
    const w = await world('retrack', { code: 'spoca-ar' });
    await w.write('spoca-ar_301_frc_info.csv', SPOCA.frcInfo);
    await w.write('spoca-ar_301_observatory.csv', SPOCA.observatory);
    await w.write(`${SPOCA.key(DATE)}_init.csv`, SPOCA.init(DATE));
    await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 3));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    await w.write(
      `spoca_301_${DATE}_sdo_track.csv`,
      SPOCA.track([
        [DATE, 2, 7],
        [DATE, 3, 8],
      ]),
    );
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    const track = (await w.ledger()).find((r) => r.kind === 'track')!;
    await w.write(`${SPOCA.key(DATE)}_feat.csv`, SPOCA.feat(DATE, 2, 50));
    const replacing = await w.run();
    expect(replacing.stats).toMatchObject({ loaded: 1, replaced: 1, untracked: 1 });
    expect(replacing.summary).toContain('1 tracking rows removed with replaced features');
    const linked = await w.db.any<{ track_id: number; row_ordinal: number; x: number; load_id: string }>(
      `SELECT t.track_id, a.row_ordinal, a.feat_x_pix AS x, t.load_id::text FROM $1:name.activeregions_tracking t
         JOIN $1:name.activeregions a ON a.id_ar = t.ar_id ORDER BY t.track_id`,
      [w.hfc],
    );
    // Row 3 is gone from the new features: its tracking row goes with it, and the track file's ledger row says so.
    expect(linked).toEqual([{ track_id: 7, row_ordinal: 2, x: 151, load_id: track.id }]);
    const after = (await w.ledger()).find((r) => r.id === track.id)!;
    expect(after).toMatchObject({ status: 'loaded', rows: { activeregions_tracking: 2 } });
    expect(after.error).toMatch(/^1 tracking rows removed with their features when spoca-ar_301_\S+ was replaced by load \d+$/);
  });
});
