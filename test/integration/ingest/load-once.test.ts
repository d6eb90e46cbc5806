import { appendFile, copyFile, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorlds } from './use-world.js';
import { FIXTURES } from './world.js';

const newWorld = useWorlds();

describe('ingest from a local directory', () => {
  it('loads every row once with its provenance, and a second run loads nothing', async () => {
    const world = await newWorld('once');
    const good = await world.fixture('good.csv');
    const crlf = await world.fixture('crlf-bom.csv', 'night/crlf-bom.csv');
    await world.fixture('header-only.csv');

    const first = await world.run();
    expect(first.ok).toBe(true);
    expect(first.stats).toMatchObject({ files: 3, loaded: 3, rows: 8, inserted: 8, skipped: 0, rejected: 0 });
    expect(await world.count()).toBe(8);
    expect(world.progress.at(-1)).toEqual({ files: '3/3', rows: 8 });

    // Every row points at the ledger row of its file, which names source, content, code and run.
    const rows = await world.db.any<{
      feat_filename: string;
      path: string;
      sha256: string;
      pipeline: string;
      code: string;
      code_version: string;
      run_id: string;
      source: string;
    }>(
      `SELECT s.feat_filename, f.path, f.sha256, f.pipeline, f.code, f.code_version, f.run_id, f.source
         FROM $1:name.sunspots s JOIN ingested_files f ON f.id = s.ingested_file_id`,
      [world.hfc],
    );
    expect(rows).toHaveLength(8);
    const runId = (await world.db.one<{ id: string }>(`SELECT id FROM runs WHERE stage = 'ingest'`)).id;
    for (const row of rows) {
      expect(row).toMatchObject({ pipeline: 'sdoss', code: 'sdoss', code_version: '1.06', run_id: runId, source: `local:${world.source}` });
      expect(row.path).toBe(row.feat_filename === 'good.csv' ? good : crlf);
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    }

    // Values as the CSV meant them: quoted delimiter and newline, NULLs, exponents, UTC timestamps.
    const values = await world.db.any(
      `SELECT id_feat, instrume, feat_x_arcsec, feat_carr_long_deg, feat_max_int, cc, date_obs
         FROM $1:name.sunspots ORDER BY feat_filename, id_feat`,
      [world.hfc],
    );
    expect(values[1]).toMatchObject({ instrume: 'HMI\r\nIc' });
    expect(values[4]).toMatchObject({ id_feat: 2, feat_carr_long_deg: null, feat_max_int: null });
    expect(values[5]).toMatchObject({ id_feat: 3, instrume: 'HMI;Ic' });
    expect(values[6]).toMatchObject({ id_feat: 4, cc: null });
    expect(values[7]).toMatchObject({ id_feat: 5, feat_x_arcsec: -410 });
    expect((values[0] as { date_obs: Date }).date_obs.toISOString()).toBe('2026-11-20T00:00:45.000Z');

    const ledger = (await world.ledger()).sort((a, b) => a.path.localeCompare(b.path));
    expect(ledger.map((l) => [path.basename(l.path), l.status, l.rows_read, l.rows_inserted])).toEqual([
      ['good.csv', 'loaded', 5, 5],
      ['header-only.csv', 'loaded', 0, 0],
      ['crlf-bom.csv', 'loaded', 3, 3],
    ]);

    const second = await world.run();
    expect(second.stats).toMatchObject({ files: 3, loaded: 0, skipped: 3, inserted: 0 });
    // A new mtime with the same content: read and hashed again, then skipped by the ledger.
    await utimes(good, new Date(), new Date(Date.now() + 5000));
    const third = await world.run();
    expect(third.stats).toMatchObject({ loaded: 0, skipped: 3 });
    expect(await world.count()).toBe(8);
    expect(await world.ledger()).toHaveLength(3);
  });

  it('loads a changed file again: new rows inserted, existing natural keys left alone (onConflict: ignore)', async () => {
    const world = await newWorld('changed');
    const good = await world.fixture('good.csv');
    await world.run();
    const lines = (await readFile(good, 'utf8')).trimEnd().split('\n');
    await appendFile(good, `${lines[1]!.replace(/^1;/, '6;').replace('-411.318', '99.5')}\n`);
    await writeFile(good, (await readFile(good, 'utf8')).replace('-410.318', '1.0'));

    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rows: 6, inserted: 1, conflicting: 5, updated: 0 });
    const x = await world.db.many<{ id_feat: number; feat_x_arcsec: number }>(
      'SELECT id_feat, feat_x_arcsec FROM $1:name.sunspots ORDER BY id_feat',
      [world.hfc],
    );
    expect(x.map((r) => [r.id_feat, r.feat_x_arcsec])).toEqual([
      [1, -411.318],
      [2, -410.318],
      [3, -409.318],
      [4, -408.318],
      [5, -410],
      [6, 99.5],
    ]);
    expect((await world.ledger()).map((l) => [l.rows_inserted, l.rows_conflicting])).toEqual([
      [5, 0],
      [1, 5],
    ]);
  });

  it('updates changed rows and re-tags them with the new file (onConflict: update)', async () => {
    const world = await newWorld('update', { ingest: { onConflict: 'update' } });
    const good = await world.fixture('good.csv');
    await world.run();
    await writeFile(good, (await readFile(good, 'utf8')).replace('-410.318', '1.5'));

    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rows: 5, inserted: 0, updated: 1, conflicting: 5 });
    const [first, second] = await world.ledger();
    const tagged = await world.db.many<{ id_feat: number; feat_x_arcsec: number; ingested_file_id: string }>(
      'SELECT id_feat, feat_x_arcsec, ingested_file_id FROM $1:name.sunspots ORDER BY id_feat',
      [world.hfc],
    );
    expect(
      tagged.map((r) => [
        r.id_feat,
        r.feat_x_arcsec,
        r.ingested_file_id === second!.id ? 'new' : r.ingested_file_id === first!.id ? 'old' : '?',
      ]),
    ).toEqual([
      [1, -411.318, 'old'],
      [2, 1.5, 'new'],
      [3, -409.318, 'old'],
      [4, -408.318, 'old'],
      [5, -410, 'old'],
    ]);
    expect(second).toMatchObject({ rows_updated: 1, rows_conflicting: 5, rows_inserted: 0 });
  });

  it('dry run lists what would be loaded and skipped, and changes nothing', async () => {
    const world = await newWorld('dry');
    const good = await world.fixture('good.csv');
    await world.run();
    const crlf = await world.fixture('crlf-bom.csv');
    const copy = path.join(world.source, 'copy-of-good.csv');
    await copyFile(path.join(FIXTURES, 'good.csv'), copy);

    const outcome = await world.run({ dryRun: true });
    expect(outcome).toMatchObject({ ok: true, stats: { files: 3, pending: 1, skipped: 2 } });
    expect(world.printed.sort()).toEqual(
      [`skip  ${good} (unchanged since loaded)`, `load  ${crlf}`, `skip  ${copy} (same content loaded earlier)`].sort(),
    );
    expect(await world.ledger()).toHaveLength(1);
    expect(await world.count()).toBe(5);
    expect(await world.db.one(`SELECT count(*)::int AS n FROM runs`)).toEqual({ n: 1 });
  });

  it('reads Latin-1 files when the pipeline says so', async () => {
    const world = await newWorld('latin1', { ingest: { csv: { delimiter: ';', nullValues: ['NULL'], encoding: 'latin1' } } });
    await world.fixture('latin1.csv');
    expect((await world.run()).stats).toMatchObject({ loaded: 1, inserted: 2 });
    const names = await world.db.map(
      'SELECT instrume FROM $1:name.sunspots ORDER BY id_feat',
      [world.hfc],
      (r: { instrume: string }) => r.instrume,
    );
    expect(names).toEqual(['Renié', 'HMI']);
  });

  it('stops between files when asked to, leaving the rest pending', async () => {
    const world = await newWorld('abort');
    await world.fixture('good.csv');
    await world.fixture('crlf-bom.csv');
    const stop = new AbortController();
    stop.abort(new Error('shutdown'));
    const outcome = await world.direct({ signal: stop.signal });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ABORTED' }, stats: { loaded: 0, pending: 2 } });
    expect(outcome.summary).toMatch(/stopped: 2 files left pending for the next run/);
    expect((await world.run()).stats).toMatchObject({ loaded: 2 });
  });
});
