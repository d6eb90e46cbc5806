import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds } from './world.js';

const world = useSetsWorlds();

describe('ingest sets mode: a bad set is rejected whole', () => {
  it('names file:line:column, loads nothing of the set, and sets its files aside with a report', async () => {
    const w = await world('bad-field');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    const featPath = await w.write(FEAT, feat(FEAT, 3).replace(';1231;1676;', ';1.231e3;1676;'));
    const outcome = await w.run();
    expect(outcome.stats).toMatchObject({ loaded: 0, rejected: 1 });
    const [row] = await w.ledger();
    expect(row?.status).toBe('rejected');
    expect(row?.error).toBe(`${featPath}:3:FEAT_X_PIX: "1.231e3" is a float, not an integer: an integer column takes digits only, even though it is a whole number`);
    expect(row?.report?.issues[0]).toMatchObject({ line: 3, column: 'FEAT_X_PIX', value: '1.231e3' });
    expect(await w.count('observations')).toBe(0);
    expect(await w.count('sunspots')).toBe(0);
    const aside = await readdir(path.join(w.quarantine, 'sdoss'));
    expect(aside.sort()).toEqual([FEAT, `${FEAT}.report.txt`, INIT, `${INIT}.report.txt`]);
    expect(await readdir(w.source)).toEqual(['sdoss_106_frc_info.csv', 'sdoss_106_observatory.csv']);
    // Rejected content is reported once: the next run has nothing to do.
    expect((await w.run()).stats).toMatchObject({ sets: 0, rejected: 0 });
  });

  it('rejects headers with no column in the table at line 1, all of them in one report', async () => {
    const w = await world('bad-header');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const initPath = await w.write(INIT, init(DATE).replace('QCLK_FNAME', 'QCLK_FNAM').replace('DATA_TYPE', 'DATA_TYP').replace('COMMENT', 'COMENT'));
    await w.run();
    const [row] = await w.ledger();
    expect(row?.error).toBe(
      `${initPath}:1:DATA_TYP: table ${w.hfc}.observations has no column for 3 headers: DATA_TYP, COMENT, QCLK_FNAM ` +
        '(declare them in ingest.sets.observations.ignore or .extra, or add the columns to the table)',
    );
  });

  it('names the local id column of an observation id used twice', async () => {
    const w = await world('twice');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const initPath = await w.write(INIT, init(DATE).replace('\n2;2;', '\n1;2;'));
    await w.run();
    const [row] = await w.ledger();
    expect(row?.error).toBe(`${initPath}:3:ID_OBSERVATIONS: local id 1 already used on line 2`);
  });
});
