// The lineage view when it cannot follow a chain: it says why, on the page and in
// /api/lineage, rather than failing (the chains themselves: lineage-slurm and pages tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineageView } from '../../../src/monitor/data/lineage.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { openApiProblems } from './openapi-check.js';

let t: TestDb;
let catalogue: string;
beforeAll(async () => {
  t = await createTestDb('lineage_view');
  catalogue = `${t.schema}_hfc`;
  await installCatalogue(t.db, { schema: catalogue, stateSchema: t.schema });
});
afterAll(async () => {
  await t?.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [catalogue]);
  await t?.drop();
});

const ask = (catalogues: string[], query: string) => lineageView(t.db, catalogues, new URLSearchParams(query));

describe('the lineage view', () => {
  it("names the catalogue to install when none of the pipelines' catalogues has lineage()", async () => {
    expect(await ask([`${t.schema}_none`], 'load=1')).toEqual({
      query: { load: 1 },
      chain: null,
      problem: `lineage is read from the catalogue's lineage() function, and catalogue ${t.schema}_none has none: install it (psql -f sql/catalogue/install.psql -v catalogue=${t.schema}_none)`,
    });
    expect((await ask([], 'set=x')).problem).toMatch(/^no pipeline loads file sets into a catalogue \(ingest\.sets\.catalogue\)/);
  });

  it('asks the first catalogue installed, and finds no chain for a load it does not know', async () => {
    const view = await ask([`${t.schema}_none`, catalogue], 'load=42');
    expect(view).toEqual({ query: { load: 42 }, problem: null, chain: null });
    expect(openApiProblems('get', '/api/lineage', 200, view)).toEqual([]);
    expect((await ask([catalogue], 'load=4x')).problem).toBe('load must be a load_id (a number), not "4x"');
  });
});
