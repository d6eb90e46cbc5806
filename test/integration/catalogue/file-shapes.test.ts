// The HFC file shapes nocturne ships (the fixtures of test/fixtures/hfc, the sets
// harness/hfc-sets.ts generates, so what examples/detect/detect.mjs writes) fit the
// catalogue of sql/catalogue: every header names a column of its table, every NOT NULL
// column has a header. What the loader does with the values is tested with the loader.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { normaliseHeader } from '../../../src/stages/ingest/sets/header-map.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { HFC_CODES, writeHfcSets, type HfcCode } from '../../../harness/hfc-sets.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/hfc/', import.meta.url));

/** The parts of a fixture directory's sets declaration that decide the header mapping (see its README). */
interface Shape {
  features: string;
  tracking?: string;
  localIds: { init: string; feat: string };
  /** Header → column for references whose column is not the header in lower case. */
  references?: Record<string, string>;
  aliases?: Record<string, string>;
  roles?: Record<string, 'init' | 'feat' | 'track'>;
}

const SHAPES: Record<string, Shape> = {
  sdoss: { features: 'sunspots', localIds: { init: 'ID_OBSERVATIONS', feat: 'ID_SUNSPOT' } },
  'spoca-ar': {
    features: 'activeregions',
    tracking: 'activeregions_tracking',
    localIds: { init: 'ID_OBSERVATIONS', feat: 'ID_AR' },
    references: { ID_AR: 'ar_id' },
    aliases: { TRACK_FNAME: 'TRACK_FILENAME' },
  },
  rabat3: {
    features: 'type_iii',
    localIds: { init: 'ID_OBSERVATIONS', feat: 'ID_TYPE_III' },
    aliases: { ID_OBSERVAT: 'ID_OBSERVATORY', SPECTRAL_NAME: 'SPECTRAL_DOMAIN' },
  },
  smart: {
    features: 'activeregions',
    localIds: { init: 'ID_FRC_INFO', feat: 'ID_FRC_INFO' },
    aliases: { ID: 'ID_FRC_INFO', NAME_CODE: 'CODE', VERSION_CODE: 'VERSION', FEATURE: 'FEATURE_NAME', SPECTRAL_NAME: 'SPECTRAL_DOMAIN' },
    roles: { obs: 'init' },
  },
};

/** Columns the loader fills: identities, load_id, row_ordinal, and a feature's feat_filename when absent. */
const FILLED = /^(id_.*|load_id|row_ordinal|feat_filename)$/;

interface Column {
  name: string;
  notNull: boolean;
}

describe('HFC file shapes against the catalogue', () => {
  let t: TestDb;
  let tables: Map<string, Column[]>;
  let generated: string;

  beforeAll(async () => {
    t = await createTestDb('file_shapes');
    const schema = `${t.schema}_hfc`;
    await installCatalogue(t.db, { schema, stateSchema: t.schema });
    const rows = await t.db.any<{ table_name: string; column_name: string; is_nullable: string }>(
      'SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 ORDER BY ordinal_position',
      [schema],
    );
    tables = new Map();
    for (const r of rows) {
      tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), { name: r.column_name, notNull: r.is_nullable === 'NO' }]);
    }
    await t.db.none('DROP SCHEMA $1:name CASCADE', [schema]);
    generated = await mkdtemp(path.join(os.tmpdir(), 'nocturne-hfc-sets-'));
  });
  afterAll(async () => {
    await t?.drop();
    await rm(generated, { recursive: true, force: true });
  });

  /** The header as the loader compares it (normaliseHeader), then the shape's alias. */
  const canonical = (header: string, shape: Shape) => {
    const name = normaliseHeader(header);
    return shape.aliases?.[name] ?? name;
  };

  /** Problems of one file's header: "<file>: <column>: <reason>". */
  function check(name: string, header: string[], shape: Shape): string[] {
    const role = /_([A-Za-z]+)\.csv$/.exec(name)![1]!;
    const part = name.endsWith('_frc_info.csv')
      ? 'frc_info'
      : name.endsWith('_observatory.csv')
        ? 'observatory'
        : (shape.roles?.[role] ?? role);
    const table =
      { frc_info: 'frc_info', observatory: 'observatory', init: 'observations', feat: shape.features, track: shape.tracking ?? '' }[part] ??
      '';
    const columns = tables.get(table);
    if (!columns) return [`${name}: no table for ${part}`];
    const localId = { frc_info: 'ID_FRC_INFO', observatory: 'ID_OBSERVATORY', init: shape.localIds.init, feat: shape.localIds.feat }[part];
    const named = header
      .map((h) => canonical(h, shape))
      .filter((h) => h !== localId)
      .map((h) => shape.references?.[h] ?? h.toLowerCase());
    const issues = named.filter((c) => !columns.some((col) => col.name === c)).map((c) => `${name}: ${c}: no such column in ${table}`);
    for (const col of columns) {
      if (col.notNull && !FILLED.test(col.name) && !named.includes(col.name)) {
        issues.push(`${name}: ${col.name}: NOT NULL column without a header`);
      }
    }
    return issues;
  }

  /** The header of every CSV under `dir` (recursively), by file name. */
  async function headers(dir: string): Promise<[string, string[]][]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    const csvs = entries.filter((e) => e.isFile() && e.name.endsWith('.csv'));
    return Promise.all(
      csvs.map(async (e): Promise<[string, string[]]> => {
        const text = await readFile(path.join(e.parentPath, e.name), 'latin1');
        return [e.name, text.slice(0, text.indexOf('\n')).split(';')];
      }),
    );
  }

  it.each(Object.keys(SHAPES))('fixtures of %s', async (code) => {
    const files = await headers(path.join(FIXTURES, code));
    expect(files.length).toBeGreaterThan(3);
    expect(files.flatMap(([name, header]) => check(name, header, SHAPES[code]!))).toEqual([]);
  });

  it.each(Object.keys(HFC_CODES) as HfcCode[])('generated sets of %s, and the same seed gives the same bytes', async (code) => {
    const dir = path.join(generated, code);
    const written = await writeHfcSets(dir, { code, sets: 4, features: 2 });
    expect(written.sets.map((s) => [s.observations, s.features])).toEqual(Array(4).fill([code === 'sdoss' ? 2 : 1, 2]));
    expect((await headers(dir)).flatMap(([name, header]) => check(name, header, SHAPES[code]!))).toEqual([]);
    const again = path.join(generated, `${code}-again`);
    await writeHfcSets(again, { code, sets: 4, features: 2 });
    for (const name of await readdir(dir)) expect(await readFile(path.join(again, name))).toEqual(await readFile(path.join(dir, name)));
  });
});
