// Migration 0019 over a ledger written before it: each set's member names move from the
// index's expression to a column, filled for the rows already there, by the loader for
// its rows, and by a trigger for a row inserted without them (an earlier nocturne).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { UNDO_0019 } from './undo-migrations.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('member_names');
});
afterAll(async () => t?.drop());

const insert = (setKey: string, paths: string[], names?: string[]) =>
  t.db.none(
    `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host${names ? ', member_names' : ''})
     VALUES ('local:/hfc', 'sdoss', 'sdoss', '1.06', $1, 'set', repeat('a', 64), $2::jsonb, 'loaded', 'h'${names ? ', $3' : ''})`,
    [setKey, JSON.stringify(paths.map((path) => ({ role: 'init', path }))), names],
  );

describe('state migration 0019: member names in a column', () => {
  it('names the members of the sets written before it, and of a row inserted without them', async () => {
    await t.db.none(UNDO_0019);
    await insert('sdoss_106_20140221T000045_sdo', ['/hfc/in/sdoss_106_20140221T000045_sdo_init.csv', '/hfc/in/x/feat.csv']);
    await insert('sdoss_106_20140222T000045_sdo', []);
    expect((await migrate(t.db, t.schema)).applied).toEqual(['0019_member_names_column.sql']);
    // An earlier nocturne, without the column; and the loader, with it.
    await insert('sdoss_106_20140223T000045_sdo', ['relative.csv']);
    await insert('sdoss_106_20140224T000045_sdo', ['/a/b.csv'], ['b.csv']);
    const rows = await t.db.any<{ names: string[]; same: boolean }>(
      'SELECT member_names AS names, member_names = member_names(members) AS same FROM ingested_sets ORDER BY id',
    );
    expect(rows).toEqual([
      { names: ['sdoss_106_20140221T000045_sdo_init.csv', 'feat.csv'], same: true },
      { names: [], same: true },
      { names: ['relative.csv'], same: true },
      { names: ['b.csv'], same: true },
    ]);
    // Retention's question (is this output a member of a load?) answered by the column's index.
    await t.db.none('SET enable_seqscan = off');
    const plan = await t.db.any<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT 1 FROM ingested_sets WHERE status IN ('loaded', 'replaced') AND member_names && ARRAY['feat.csv']`,
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('ingested_sets_member_names');
  });
});
