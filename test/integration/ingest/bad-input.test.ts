import { copyFile, mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorlds } from './use-world.js';
import { FIXTURES } from './world.js';

const newWorld = useWorlds();

/** Each malformed fixture and the located error it must be rejected with (after "<source>/"). */
const MALFORMED: Record<string, string> = {
  'wrong-column-count.csv': 'wrong-column-count.csv:3: expected 17 fields, found 16',
  'bad-number.csv': 'bad-number.csv:4:FEAT_X_ARCSEC: "12.3.4" is not a number',
  'bad-timestamp.csv':
    'bad-timestamp.csv:2:DATE_OBS: "2026-02-30T00:00:45" is not a timestamp in the format %Y-%m-%dT%H:%M:%S: day 30 is out of range for 2026-02',
  'null-required.csv': 'null-required.csv:3:OBS_ID: NULL in required column OBS_ID',
  'invalid-utf8.csv': 'invalid-utf8.csv:3:37: invalid UTF-8: byte 0xff at byte 37 of the line',
  'empty.csv': 'empty.csv:1: empty file: no header line',
  'header-mismatch.csv': 'header-mismatch.csv:1:FEAT_AREA_DEG2: header has no column FEAT_AREA_DEG2 (mapped to feat_area_deg2)',
  'duplicate-key.csv': 'duplicate-key.csv:4: duplicate natural key (feat_filename, id_feat) = (duplicate-key.csv, 1): first at line 2',
  'unterminated-quote.csv': 'unterminated-quote.csv:3: unterminated quoted field: its closing quote never comes',
  'int-overflow.csv': 'int-overflow.csv:2:ID_FEAT: 2147483648 is out of range for int (-2147483648..2147483647)',
  'bad-quoting.csv': 'bad-quoting.csv:3: a closing quote is followed by text instead of a delimiter',
  'bad-header.csv': 'bad-header.csv:1: header line unreadable: a closing quote is followed by text instead of a delimiter',
};

describe('bad input', () => {
  it('rejects each malformed file whole with a located error, sets it aside with a report, and loads the rest', async () => {
    const world = await newWorld('malformed');
    for (const name of Object.keys(MALFORMED)) await world.fixture(name);
    await world.fixture('good.csv');
    await world.fixture('header-only.csv');

    const outcome = await world.run();
    const bad = Object.keys(MALFORMED).length;
    expect(outcome.ok).toBe(true);
    expect(outcome.stats).toMatchObject({ files: bad + 2, loaded: 2, rejected: bad, inserted: 5, failed: 0 });

    // Nothing of any rejected file reached the catalogue.
    const files = await world.db.map(
      'SELECT DISTINCT feat_filename FROM $1:name.sunspots',
      [world.hfc],
      (r: { feat_filename: string }) => r.feat_filename,
    );
    expect(files).toEqual(['good.csv']);

    const ledger = await world.ledger();
    for (const [name, error] of Object.entries(MALFORMED)) {
      const entry = ledger.find((l) => path.basename(l.path) === name);
      expect(entry, name).toMatchObject({ status: 'rejected', error: `${world.source}/${error}`, rows_inserted: 0 });
      // Set aside: gone from the source, kept with its report in <quarantine>/<pipeline>/.
      const kept = path.join(world.quarantine, 'sdoss', name);
      expect(await readFile(kept)).toEqual(await readFile(path.join(FIXTURES, name)));
      const report = await readFile(`${kept}.report.txt`, 'utf8');
      expect(report).toContain(`reason:   ${world.source}/${error}`);
      expect(report).toContain(`sha256:   ${entry!.sha256}`);
    }
    expect((await readdir(world.source)).sort()).toEqual(['good.csv', 'header-only.csv']);
    expect(ledger.find((l) => l.path.endsWith('bad-number.csv'))?.report).toEqual({
      issues: [{ line: 4, column: 'FEAT_X_ARCSEC', value: '12.3.4', reason: '"12.3.4" is not a number' }],
      truncated: false,
    });

    // The same bad content put back is not tried again (its content has not changed): set aside again.
    await copyFile(path.join(FIXTURES, 'bad-number.csv'), path.join(world.source, 'bad-number.csv'));
    const again = await world.run();
    expect(again.stats).toMatchObject({ loaded: 0, rejected: 0, skipped: 3 });
    expect(await world.ledger()).toHaveLength(ledger.length);
    expect((await readdir(world.source)).sort()).toEqual(['good.csv', 'header-only.csv']);
    expect(await world.count()).toBe(5);
  });

  it('checks every declared type: bool, bigint limits, %f and %z timestamps', async () => {
    const world = await newWorld('typed', {
      ingest: ({ hfc }) => ({
        include: ['typed-*.csv'],
        csv: { delimiter: ',', nullValues: [''] },
        table: `${hfc}.typed`,
        columns: {
          id: { from: 'ID', type: 'int' },
          flag: { from: 'FLAG', type: 'bool' },
          count: { from: 'COUNT', type: 'bigint', nullable: true },
          seen_at: { from: 'WHEN', type: 'timestamp', format: '%Y-%m-%dT%H:%M:%S.%f%z' },
        },
        naturalKey: ['id'],
      }),
    });
    await world.db.none(
      `CREATE TABLE $1:name.typed (id integer PRIMARY KEY, flag boolean NOT NULL, count bigint, seen_at timestamp NOT NULL,
              ingested_file_id bigint NOT NULL REFERENCES ingested_files (id))`,
      [world.hfc],
    );
    await world.fixture('typed-bad-bool.csv');
    await world.fixture('typed-good.csv');

    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rejected: 1, inserted: 3 });
    expect((await world.ledger()).map((l) => l.error)).toContain(
      `${world.source}/typed-bad-bool.csv:3:FLAG: "maybe" is not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)`,
    );
    // Offsets are applied, so a timestamp without time zone column holds UTC.
    const rows = await world.db.any('SELECT id, flag, count::text, seen_at::text FROM $1:name.typed ORDER BY id', [world.hfc]);
    expect(rows).toEqual([
      { id: 1, flag: true, count: '9223372036854775807', seen_at: '2026-11-20 22:30:00.25' },
      { id: 2, flag: false, count: '-9223372036854775808', seen_at: '2026-11-20 00:00:00' },
      { id: 3, flag: true, count: null, seen_at: '2024-02-29 14:30:00.123456' },
    ]);
  });

  it('never takes the quarantine directory for input, even below the source directory', async () => {
    const world = await newWorld('nested', { ingest: ({ dir }) => ({ source: { dir } }) });
    await world.fixture('bad-number.csv');
    expect((await world.run()).stats).toMatchObject({ files: 1, rejected: 1 });
    expect(await readdir(path.join(world.quarantine, 'sdoss', 'incoming'))).toEqual(['bad-number.csv', 'bad-number.csv.report.txt']);
    const again = await world.run();
    expect(again.stats).toMatchObject({ files: 0, rejected: 0, skipped: 0 });
    expect(await readdir(path.join(world.quarantine, 'sdoss'))).toEqual(['incoming']);
  });

  it('quarantines bad rows and loads the good ones (badRows: quarantine)', async () => {
    const world = await newWorld('quarantine', { ingest: { badRows: { policy: 'quarantine', maxQuarantined: 5 } } });
    await world.fixture('quarantine-mixed.csv');
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 1, rows: 7, inserted: 4, quarantined: 3, rejected: 0 });
    const ids = await world.db.map(
      'SELECT id_feat FROM $1:name.sunspots ORDER BY id_feat',
      [world.hfc],
      (r: { id_feat: number }) => r.id_feat,
    );
    expect(ids).toEqual([1, 3, 5, 6]);
    const [file] = await world.ledger();
    expect(file).toMatchObject({ status: 'loaded', rows_read: 7, rows_inserted: 4, rows_quarantined: 3 });
    const kept = await world.db.any<{ line: number; raw: string; reason: string }>(
      'SELECT line, raw, reason FROM $1:name.quarantined_rows ORDER BY line',
      [world.hfc],
    );
    const lines = (await readFile(path.join(FIXTURES, 'quarantine-mixed.csv'), 'utf8')).split('\n');
    expect(kept).toEqual([
      { line: 3, raw: lines[2], reason: 'FEAT_Y_ARCSEC: "north$1" is not a number' },
      { line: 5, raw: lines[4], reason: 'duplicate natural key (feat_filename, id_feat) = (quarantine-mixed.csv, 1): first at line 2' },
      { line: 6, raw: lines[5], reason: 'expected 17 fields, found 16' },
    ]);
    // The file stays where it was: it was loaded.
    expect(await readdir(world.source)).toEqual(['quarantine-mixed.csv']);
  });

  it('rejects the whole file when bad rows exceed maxQuarantined', async () => {
    const world = await newWorld('toomany', { ingest: { badRows: { policy: 'quarantine', maxQuarantined: 2 } } });
    await world.fixture('quarantine-mixed.csv');
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 0, rejected: 1, inserted: 0 });
    expect(await world.count()).toBe(0);
    expect(await world.db.one('SELECT count(*)::int AS n FROM quarantine_rows')).toEqual({ n: 0 });
    const [file] = await world.ledger();
    expect(file?.report?.issues.map((i) => i.line)).toEqual([3, 5, 6]);
  });

  it('rejects a file PostgreSQL refuses, located through the line map', async () => {
    const world = await newWorld('check');
    await world.db.none('ALTER TABLE $1:name.sunspots ADD CONSTRAINT small CHECK (feat_area_deg2 < 15)', [world.hfc]);
    await world.fixture('good.csv');
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ rejected: 1, loaded: 0 });
    const [file] = await world.ledger();
    expect(file?.error).toMatch(
      new RegExp(`^${world.source}/good.csv:4: refused by PostgreSQL: new row for relation "sunspots" violates check constraint "small"`),
    );
    expect(await world.count()).toBe(0);
  });

  // readdir's `recursive` followed a link to a directory: files outside the source were loaded, and a rejected one moved away.
  it('follows no link in the source: a linked file or directory is neither loaded nor moved, and the run says so', async () => {
    const world = await newWorld('links');
    await world.fixture('good.csv');
    const outside = path.join(world.dir, 'outside');
    await mkdir(outside);
    await copyFile(path.join(FIXTURES, 'bad-number.csv'), path.join(outside, 'bad-number.csv'));
    await symlink(outside, path.join(world.source, 'linkdir'));
    await symlink(path.join(outside, 'bad-number.csv'), path.join(world.source, 'linked.csv'));
    const outcome = await world.run();
    expect(outcome).toMatchObject({ ok: true, stats: { files: 1, loaded: 1, rejected: 0, passedOver: 1 } });
    expect(outcome.summary).toMatch(/1 passed over \(links, unusable names or unreadable directories: see the log\)/);
    expect(await readdir(outside)).toEqual(['bad-number.csv']);
  });
});
