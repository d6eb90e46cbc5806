// Nothing stuck (issue 14): a file that fails for a reason other than an outage is
// rejected with its place and set aside, and the others go on; no file keeps the stage failing.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureCsv } from './feature-csv.js';
import { NUL_REASON as NUL, withNulByte } from '../../../harness/nul-input.js';
import { refuseRejectionReports } from './refused-reports.js';
import { useWorlds } from './use-world.js';
import type { IngestWorld } from './world.js';

const newWorld = useWorlds();
const CC = 13;

/** Runs twice: the first rejects `name` and loads good.csv, the second has nothing left to do. Both succeed. */
async function expectSetAside(world: IngestWorld, name: string, error: string): Promise<void> {
  const first = await world.run();
  expect(first.stats).toMatchObject({ files: 2, loaded: 1, rejected: 1, failed: 0 });
  expect(first.ok).toBe(true);
  const entry = (await world.ledger()).find((l) => l.path.endsWith(name));
  expect(entry).toMatchObject({ status: 'rejected', error: `${world.source}/${error}` });
  expect(await readFile(path.join(world.quarantine, 'sdoss', `${name}.report.txt`), 'utf8')).toContain(
    `reason:   ${world.source}/${error}`,
  );
  expect(await readdir(world.source)).toEqual(['good.csv']);
  const second = await world.run();
  expect(second.ok).toBe(true);
  expect(second.stats).toMatchObject({ files: 1, skipped: 1, rejected: 0, failed: 0 });
}

describe('ingest: no single file keeps the stage failing', () => {
  it('rejects a NUL byte at file:line:column and records its report (badRows: reject)', async () => {
    const world = await newWorld('nul');
    await world.fixture('good.csv');
    const nul = withNulByte(featureCsv('nul.csv', 3), 3, CC);
    await world.write('nul.csv', nul.bytes);
    await expectSetAside(world, 'nul.csv', nul.error('nul.csv'));
    const entry = (await world.ledger()).find((l) => l.path.endsWith('nul.csv'));
    expect(entry?.report?.issues).toEqual([{ line: 3, at: nul.at, reason: NUL }]);
  });

  it('rejects a file with more NUL rows than badRows.maxQuarantined, and keeps fewer in quarantine_rows', async () => {
    const world = await newWorld('nul-rows', { ingest: { badRows: { policy: 'quarantine', maxQuarantined: 1 } } });
    await world.fixture('good.csv');
    const nul = withNulByte(featureCsv('nul.csv', 3), 3, CC);
    await world.write('nul.csv', withNulByte(nul.bytes.toString('utf8'), 4, CC).bytes);
    await expectSetAside(world, 'nul.csv', nul.error('nul.csv'));

    const one = featureCsv('one.csv', 3);
    await world.write('one.csv', withNulByte(one, 2, CC).bytes);
    expect((await world.run()).stats).toMatchObject({ loaded: 1, quarantined: 1, inserted: 2 });
    // PostgreSQL keeps no NUL: the record is kept with \0 in its place.
    const raw = one.split('\n')[1]!.split(';');
    raw[CC] = `\\0${raw[CC]!}`;
    expect(await world.db.any('SELECT line, raw, reason FROM quarantine_rows')).toEqual([{ line: 2, raw: raw.join(';'), reason: NUL }]);
  });

  it('rejects a value PostgreSQL refuses outside the data classes (54000: too long for the natural key index)', async () => {
    const world = await newWorld('index-row');
    await world.fixture('good.csv');
    // Incompressible: the index entry stays over btree's 2704 bytes once compressed.
    const long = randomBytes(4500).toString('base64');
    await world.write(
      'long-key.csv',
      featureCsv('long-key.csv', 3).replace(
        '2.5;NULL;3.5;4.5;512.25;NULL;44;2;long-key.csv;',
        `2.5;NULL;3.5;4.5;512.25;NULL;44;2;${long};`,
      ),
    );
    const first = await world.run();
    expect(first.stats).toMatchObject({ loaded: 1, rejected: 1, failed: 0 });
    const entry = (await world.ledger()).find((l) => l.path.endsWith('long-key.csv'));
    expect(entry?.error).toMatch(
      new RegExp(`^${world.source}/long-key.csv:3: refused by PostgreSQL: index row size \\d+ exceeds btree version 4 maximum 2704`),
    );
    expect(await readdir(world.source)).toEqual(['good.csv']);
  });

  it('rejects a row a trigger refuses (P0001), located at its line', async () => {
    const world = await newWorld('raise');
    await world.db.none(
      `CREATE FUNCTION $1:name.refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.id_feat = 2 THEN RAISE EXCEPTION 'feature 2 is not welcome'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER refuse BEFORE INSERT ON $1:name.sunspots FOR EACH ROW EXECUTE FUNCTION $1:name.refuse()`,
      [world.hfc],
    );
    await world.fixture('good.csv');
    await world.write('other.csv', featureCsv('other.csv', 1));
    const first = await world.run();
    expect(first.stats).toMatchObject({ loaded: 1, rejected: 1, failed: 0 });
    expect((await world.ledger()).find((l) => l.path.endsWith('good.csv'))?.error).toBe(
      `${world.source}/good.csv:3: refused by PostgreSQL: feature 2 is not welcome`,
    );
  });

  it('rejects a file the database refuses at COMMIT (a deferred trigger), after the transaction is gone', async () => {
    const world = await newWorld('deferred');
    await world.db.none(
      `CREATE FUNCTION $1:name.late() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.feat_filename = 'late.csv' THEN RAISE EXCEPTION 'late.csv refused at commit'; END IF; RETURN NULL; END $$;
       CREATE CONSTRAINT TRIGGER late AFTER INSERT ON $1:name.sunspots DEFERRABLE INITIALLY DEFERRED
         FOR EACH ROW EXECUTE FUNCTION $1:name.late()`,
      [world.hfc],
    );
    await world.fixture('good.csv');
    await world.write('late.csv', featureCsv('late.csv', 2));
    await expectSetAside(world, 'late.csv', 'late.csv: refused by PostgreSQL: late.csv refused at commit');
    expect(await world.count()).toBe(5);
  });

  it('still rejects a file whose rejection report PostgreSQL refuses, with its first error', async () => {
    const world = await newWorld('report-refused');
    await refuseRejectionReports(world.db, world.test.schema, 'ingested_files');
    await world.fixture('good.csv');
    const nul = withNulByte(featureCsv('nul.csv', 3), 3, CC);
    await world.write('nul.csv', nul.bytes);
    await expectSetAside(world, 'nul.csv', `${nul.error('nul.csv')} (PostgreSQL refused the report of its rejection: report refused)`);
    expect((await world.ledger()).find((l) => l.path.endsWith('nul.csv'))?.report).toEqual({ issues: [], truncated: false });
  });

  it('keeps a file pending on a deadlock while the other files go on', async () => {
    const world = await newWorld('deadlock');
    await world.db.none(
      `CREATE FUNCTION $1:name.deadlock() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.feat_filename = 'a.csv' THEN RAISE EXCEPTION 'injected deadlock' USING ERRCODE = '40P01'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER deadlock BEFORE INSERT ON $1:name.sunspots FOR EACH ROW EXECUTE FUNCTION $1:name.deadlock()`,
      [world.hfc],
    );
    await world.write('a.csv', featureCsv('a.csv', 2));
    await world.write('b.csv', featureCsv('b.csv', 2));
    const first = await world.run();
    expect(first.stats).toMatchObject({ loaded: 1, failed: 1, rejected: 0, pending: 0 });
    expect(first.ok).toBe(false);
    expect(first.error).toMatchObject({ code: 'DB_FAILED', retryable: true });
    await world.db.none('DROP TRIGGER deadlock ON $1:name.sunspots', [world.hfc]);
    expect((await world.run()).stats).toMatchObject({ loaded: 1, skipped: 1 });
    expect(await world.count()).toBe(4);
  });
});
