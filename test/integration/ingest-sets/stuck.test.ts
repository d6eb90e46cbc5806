// Nothing stuck (issue 14): a set that fails for a reason other than an outage is
// rejected with its place and set aside, and the other sets go on; no set keeps the
// stage failing.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NUL_REASON, withNulByte } from '../../../harness/nul-input.js';
import { refuseRejectionReports } from '../ingest/refused-reports.js';
import { nulSdossSet } from './nul-set.js';
import { DATE, FEAT, FRC_INFO, INIT, KEY, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds, type SetsWorld } from './world.js';

const world = useSetsWorlds();
const OTHER = 'sdoss_106_20140221T060045_sdo';
const [FILENAME, CC] = [19, 11];

/** The metadata, a good set (OTHER), and the set of DATE as `initText` and `featText` give it. */
async function sets(w: SetsWorld, initText: string | Buffer, featText: string | Buffer): Promise<{ initPath: string; featPath: string }> {
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
  await w.write(`${OTHER}_init.csv`, init('20140221T060045'));
  await w.write(`${OTHER}_feat.csv`, feat(`${OTHER}_feat.csv`, 2));
  return { initPath: await w.write(INIT, initText), featPath: await w.write(FEAT, featText) };
}

/** One run rejects the set of DATE with `error` and loads OTHER, the next has nothing to do; both succeed. */
async function expectRejected(w: SetsWorld, error: string): Promise<void> {
  const first = await w.run();
  expect(first.stats).toMatchObject({ loaded: 1, rejected: 1, failed: 0 });
  expect(first.ok).toBe(true);
  const rejected = (await w.ledger()).find((r) => r.set_key === KEY);
  expect(rejected).toMatchObject({ status: 'rejected', error });
  expect((await readdir(w.source)).filter((name) => name.startsWith(KEY))).toEqual([]);
  expect((await readdir(`${w.quarantine}/sdoss`)).sort()).toEqual([FEAT, `${FEAT}.report.txt`, INIT, `${INIT}.report.txt`]);
  const second = await w.run();
  expect(second.ok).toBe(true);
  expect(second.stats).toMatchObject({ rejected: 0, failed: 0, loaded: 0 });
}

describe('ingest sets mode: no single set keeps the stage failing', () => {
  it('rejects a NUL byte in a _feat.csv at file:line:column, with its report', async () => {
    const w = await world('nul-feat');
    const bad = nulSdossSet(DATE);
    const { featPath } = await sets(w, bad.files.get(INIT)!, bad.files.get(FEAT)!);
    await expectRejected(w, bad.error(w.source));
    expect((await w.ledger()).find((r) => r.set_key === bad.setKey)?.report?.issues).toEqual([
      { file: featPath, line: bad.line, at: bad.at, reason: NUL_REASON },
    ]);
  });

  it('rejects a NUL byte in an _init.csv at file:line:column', async () => {
    const w = await world('nul-init');
    const nul = withNulByte(init(DATE), 2, FILENAME);
    const { initPath } = await sets(w, nul.bytes, feat(FEAT, 3));
    await expectRejected(w, nul.error(initPath));
  });

  it('rejects a set PostgreSQL refuses outside the data classes (54000: a FEAT_FILENAME too long for the natural key index)', async () => {
    const w = await world('index-row');
    // Incompressible: the index entry stays over btree's 2704 bytes once compressed.
    const { featPath } = await sets(w, init(DATE), feat(randomBytes(4500).toString('base64'), 3));
    const first = await w.run();
    expect(first.stats).toMatchObject({ loaded: 1, rejected: 1, failed: 0 });
    expect((await w.ledger()).find((r) => r.set_key === KEY)?.error).toMatch(
      new RegExp(
        `^${featPath}: refused by the database: index row size \\d+ exceeds btree version 4 maximum 2704 for index "sunspots_natural_key"`,
      ),
    );
    expect((await w.run()).stats).toMatchObject({ rejected: 0, failed: 0 });
  });

  it('rejects a set whose metadata file lists one natural key under two local ids it uses (21000)', async () => {
    const w = await world('cardinality');
    // Alone in its run: no other set resolves one of the two ids first.
    await w.write('sdoss_106_frc_info.csv', `${FRC_INFO}${FRC_INFO.split('\n')[1]!.replace(/^1;/, '2;').replace('jane.doe@', 'j.doe@')}\n`);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 3).replace(/\n2;1;1;2;/, '\n2;2;1;2;'));
    const first = await w.run();
    expect(first.stats).toMatchObject({ rejected: 1, failed: 0 });
    expect(first.ok).toBe(true);
    expect((await w.ledger())[0]?.error).toBe(
      `${KEY}: refused by the database: ON CONFLICT DO UPDATE command cannot affect row a second time`,
    );
    expect((await w.run()).stats).toMatchObject({ rejected: 0, failed: 0 });
  });

  it('rejects a set a trigger of the catalogue refuses (P0001)', async () => {
    const w = await world('raise');
    await w.db.none(
      `CREATE FUNCTION $1:name.refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.feat_filename = $2 THEN RAISE EXCEPTION 'not this one'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER refuse BEFORE INSERT ON $1:name.sunspots FOR EACH ROW EXECUTE FUNCTION $1:name.refuse()`,
      [w.hfc, FEAT],
    );
    await sets(w, init(DATE), feat(FEAT, 3));
    // A RAISE names no table: the error names the set.
    await expectRejected(w, `${KEY}: refused by the database: not this one`);
  });

  it('still rejects a set whose rejection report PostgreSQL refuses, with its first error', async () => {
    const w = await world('report-refused');
    await refuseRejectionReports(w.db, w.test.schema, 'ingested_sets');
    const nul = withNulByte(feat(FEAT, 3), 3, CC);
    const { featPath } = await sets(w, init(DATE), nul.bytes);
    await expectRejected(w, `${nul.error(featPath)} (PostgreSQL refused the report of its rejection: report refused)`);
  });
});
