// Migration 0018 over a ledger written before it: each set gets its re-emission key (its
// key with the version as "*"), two live loads the rule would now call one keep keys of
// their own, and a row inserted without the key (an earlier nocturne) gets it too.
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, STATE_MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { UNDO_0019 } from './undo-migrations.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('reemission');
});
afterAll(async () => t?.drop());

const insert = (setKey: string, version: string, status: string, content: string) =>
  t.db.none(
    `INSERT INTO ingested_sets (source, pipeline, code, code_version, set_key, kind, content_sha256, members, status, host)
     VALUES ('local:/hfc', 'sdoss', 'sdoss', $2, $1, 'set', repeat($4, 64), '[]', $3, 'h')`,
    [setKey, version, status, content],
  );

describe('state migration 0018: re-emission keys', () => {
  it('keys the sets of a ledger written before it, and the rows inserted without the key', async () => {
    const last = (await readdir(STATE_MIGRATIONS_DIR)).sort().at(-1)!;
    expect(last).toBe('0021_open_rejections.sql');
    // The ledger as 0017 left it (0019 undone first: see member-names.test.ts).
    await t.db.none(UNDO_0019);
    await t.db
      .none(`DROP TRIGGER ingested_sets_reemission_key ON ingested_sets; DROP FUNCTION fill_reemission_key(), reemission_key_of(text, text);
                     DROP INDEX ingested_sets_live; ALTER TABLE ingested_sets DROP COLUMN reemission_key;
                     CREATE UNIQUE INDEX ingested_sets_live ON ingested_sets (source, set_key) WHERE status = 'loaded';
                     DELETE FROM schema_migrations WHERE version = 18`);
    await insert('sdoss_106_20140221T000045_sdo', '1.06', 'replaced', 'a');
    await insert('sdoss_106_20140221T000045_sdo', '1.06', 'loaded', 'b');
    // Two versions loaded beside each other (possible before): neither may be lost.
    await insert('sdoss_106_20140222T000045_sdo', '1.06', 'loaded', 'c');
    await insert('sdoss_107_20140222T000045_sdo', '1.07', 'loaded', 'd');
    await insert('spoca_3+1_20140221T000009_sdo_track', '3.+1', 'loaded', 'e');
    await insert('sdoss_20140223T000045_sdo', '1.06', 'loaded', 'f');

    expect((await migrate(t.db, t.schema)).applied).toEqual(['0018_reemission_key.sql', '0019_member_names_column.sql']);
    await insert('sdoss_106_20140224T000045_sdo', '1.06', 'loaded', '1');
    const keys = await t.db.map(
      'SELECT set_key, reemission_key FROM ingested_sets ORDER BY id',
      [],
      (r: { set_key: string; reemission_key: string }) => [r.set_key, r.reemission_key],
    );
    expect(keys).toEqual([
      ['sdoss_106_20140221T000045_sdo', 'sdoss_*_20140221T000045_sdo'],
      ['sdoss_106_20140221T000045_sdo', 'sdoss_*_20140221T000045_sdo'],
      ['sdoss_106_20140222T000045_sdo', 'sdoss_106_20140222T000045_sdo'],
      ['sdoss_107_20140222T000045_sdo', 'sdoss_107_20140222T000045_sdo'],
      ['spoca_3+1_20140221T000009_sdo_track', 'spoca_*_20140221T000009_sdo_track'],
      ['sdoss_20140223T000045_sdo', 'sdoss_20140223T000045_sdo'],
      ['sdoss_106_20140224T000045_sdo', 'sdoss_*_20140224T000045_sdo'],
    ]);
    // One live load per re-emission key, whatever the version.
    await expect(insert('sdoss_107_20140224T000045_sdo', '1.07', 'loaded', '2')).rejects.toThrow(/ingested_sets_live/);
  });
});
