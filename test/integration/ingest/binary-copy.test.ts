import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestStageConfig } from '../../../src/config/types.js';
import { CopyWriter } from '../../../src/stages/ingest/table/copy-writer.js';
import { INLINE_BYTES } from '../../../src/stages/ingest/table/load-file.js';
import { compileRowEncoder } from '../../../src/stages/ingest/table/row-encoder.js';
import { recordQueries } from '../../../harness/sent-queries.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();
const TS = '%Y-%m-%dT%H:%M:%S.%f%z';
const COLUMNS = {
  i4: { from: 'I4', type: 'int' },
  i8: { from: 'I8', type: 'bigint', nullable: true },
  f8: { from: 'F8', type: 'float', nullable: true },
  t: { from: 'T', type: 'text', nullable: true },
  vc: { from: 'VC', type: 'text', nullable: true },
  b: { from: 'B', type: 'bool', nullable: true },
  tz: { from: 'TZ', type: 'timestamp', format: TS, nullable: true },
  ts: { from: 'TS', type: 'timestamp', format: TS, nullable: true },
};
const HEADER = 'I4;I8;F8;T;VC;B;TZ;TS';
/** Values at the edges of each type's binary form, taken in turn by the rows. */
const EDGES: Record<string, string[]> = {
  I8: ['9223372036854775807', '-9223372036854775808', '9007199254740993', '-1', '+42', '007', 'NULL'],
  F8: ['1e308', '-0', '5e-324', 'NaN', 'inf', '-Infinity', '0.1', '1.7976931348623157e308', '-2.5E-3', '.5', '3.', 'NULL'],
  T: ['plain', 'tab\there', 'back\\slash', 'é accent', '🌞 sun', '', 'NULL'],
  VC: ['short', 'ünïcödé', 'x'.repeat(30), 'NULL'],
  B: ['t', 'false', 'YES', 'n', 'on', '0', 'NULL'],
  TZ: [
    '2014-02-21T00:00:45.5+01:00',
    '2016-12-31T23:59:60.0Z',
    '0001-01-01T00:00:00.0Z',
    '9999-12-31T23:59:59.999999Z',
    '1969-07-20T20:17:40.123-0530',
    '2000-01-01T00:00:00.000001+00',
    'NULL',
  ],
  TS: ['2014-02-21T00:00:45.25Z', '1899-12-31T23:59:59.9-02:00', '2400-02-29T12:00:00.5Z', 'NULL'],
};

function rows(count: number, bad?: { line: number; field: string; value: string }): string {
  const lines = [HEADER];
  for (let i = 0; i < count; i++) {
    const pick = (field: string) =>
      bad && bad.line === i + 2 && bad.field === field ? bad.value : EDGES[field]![i % EDGES[field]!.length]!;
    lines.push([String(i - 1000), ...Object.keys(EDGES).map(pick)].join(';'));
  }
  return `${lines.join('\n')}\n`;
}

/** Rows enough for a file past the inline size: it goes by COPY. */
const COUNT = Math.ceil(INLINE_BYTES / 60);

const TABLE = `(i4 int PRIMARY KEY, i8 bigint, f8 float8, t text, vc varchar(30), b bool, tz timestamptz, ts timestamp, ingested_file_id bigint)`;

/** The statements this process sends; its COPY statements. */
const sent: string[] = [];
const copies = () => sent.filter((text) => text.includes('COPY '));
let stopRecording: () => void;
beforeAll(() => (stopRecording = recordQueries(sent)));
afterAll(() => stopRecording());

describe('binary COPY', () => {
  it('stores every value exactly as the text COPY of the same rows does', async () => {
    const world = await newWorld('binary', {
      ingest: ({ hfc }) => ({ table: `${hfc}.kinds`, columns: COLUMNS, naturalKey: ['i4'], csv: { delimiter: ';', nullValues: ['NULL'] } }),
    });
    await world.db.none(`CREATE TABLE $1:name.kinds ${TABLE}; CREATE TABLE $1:name.kinds_text ${TABLE}`, [world.hfc]);
    const csv = rows(COUNT);
    await world.write('kinds.csv', csv);
    sent.length = 0;
    expect((await world.run()).stats).toMatchObject({ loaded: 1, inserted: COUNT, rejected: 0 });
    expect(copies()).toEqual([expect.stringMatching(/^COPY .*kinds.* FROM STDIN \(FORMAT binary\)/)]);

    // The same rows as the text path encodes them, by text COPY into a twin table.
    const stage = world.config.pipelines.get('sdoss')!.config.ingest as IngestStageConfig;
    const [header, ...records] = csv.trimEnd().split('\n');
    const encoder = compileRowEncoder(stage, header!.split(';'), 'kinds.csv');
    const text = records.map((line) => `${encoder.encode(line.split(';'))!}\t1\n`).join('');
    const conn = await world.db.connect();
    try {
      const copy = new CopyWriter(conn.client, `COPY ${world.hfc}.kinds_text (${encoder.columns.join(', ')}, ingested_file_id) FROM STDIN`);
      await copy.write(text);
      expect(await copy.finish()).toBe(COUNT);
    } finally {
      await conn.done();
    }
    // float8send: NaN equals NaN and -0 equals 0 to "=", not to the bytes.
    const values = 'i4, i8, float8send(f8) AS f8, t, vc, b, tz, ts';
    const differing = (a: string, b: string) =>
      world.db.any(`SELECT ${values} FROM $1:name.$2:name EXCEPT ALL SELECT ${values} FROM $1:name.$3:name`, [world.hfc, a, b]);
    expect(await differing('kinds', 'kinds_text')).toEqual([]);
    expect(await differing('kinds_text', 'kinds')).toEqual([]);
    // And they are the values meant: a few read back.
    const some = await world.db.any<Record<string, unknown>>(
      `SELECT i8::text, f8::text, t, tz AT TIME ZONE 'UTC' AS tz, ts FROM $1:name.kinds WHERE i4 IN (-1000, -999, -998) ORDER BY i4`,
      [world.hfc],
    );
    expect(some.map((r) => [r['i8'], r['f8'], r['t'], String(r['tz'])])).toEqual([
      ['9223372036854775807', '1e+308', 'plain', String(new Date(Date.UTC(2014, 1, 20, 23, 0, 45, 500)))],
      ['-9223372036854775808', '-0', 'tab\there', String(new Date(Date.UTC(2017, 0, 1)))],
      ['9007199254740993', '5e-324', 'back\\slash', String(new Date(-62135596800000))],
    ]);
  });

  it('goes as text when a column has no plain binary form (numeric)', async () => {
    const world = await newWorld('binary-numeric', {
      ingest: ({ hfc }) => ({ table: `${hfc}.kinds`, columns: COLUMNS, naturalKey: ['i4'], csv: { delimiter: ';', nullValues: ['NULL'] } }),
    });
    await world.db.none(`CREATE TABLE $1:name.kinds ${TABLE.replace('f8 float8', 'f8 numeric')}`, [world.hfc]);
    await world.write('kinds.csv', rows(COUNT).replaceAll(/;(NaN|inf|-Infinity|1e308|1\.7976931348623157e308|5e-324);/g, ';NULL;'));
    sent.length = 0;
    expect((await world.run()).stats).toMatchObject({ loaded: 1, inserted: COUNT });
    expect(copies()).toEqual([expect.stringMatching(/^COPY .*kinds.* FROM STDIN\0$/)]);
  });

  it('refuses a bad value, and a value the database refuses, at its line and column', async () => {
    const world = await newWorld('binary-bad', {
      ingest: ({ hfc }) => ({ table: `${hfc}.kinds`, columns: COLUMNS, naturalKey: ['i4'], csv: { delimiter: ';', nullValues: ['NULL'] } }),
    });
    await world.db.none(`CREATE TABLE $1:name.kinds ${TABLE}`, [world.hfc]);
    const bad = await world.write('bad.csv', rows(COUNT, { line: 4000, field: 'F8', value: '1.2.3' }));
    const long = await world.write('long.csv', rows(COUNT, { line: 4001, field: 'VC', value: 'y'.repeat(31) }));
    expect((await world.run()).stats).toMatchObject({ rejected: 2, loaded: 0 });
    const errors = Object.fromEntries((await world.ledger()).map((l) => [l.path, l.error]));
    expect(errors).toEqual({
      [bad]: `${bad}:4000:F8: "1.2.3" is not a number`,
      [long]: `${long}:4001:vc: refused by PostgreSQL: value too long for type character varying(30)`,
    });
    expect(await world.count('kinds')).toBe(0);
  });
});
