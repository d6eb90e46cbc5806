import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, OBSERVATORY, SPOCA, feat, init, writeSpoca } from './sdoss-files.js';
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
    expect(row?.error).toBe(
      `${featPath}:3:FEAT_X_PIX: "1.231e3" is a float, not an integer: an integer column takes digits only, even though it is a whole number`,
    );
    expect(row?.report?.issues[0]).toMatchObject({ line: 3, column: 'FEAT_X_PIX', value: '1.231e3' });
    expect(await w.count('observations')).toBe(0);
    expect(await w.count('sunspots')).toBe(0);
    const aside = await readdir(path.join(w.quarantine, 'sdoss'));
    expect(aside.sort()).toEqual([FEAT, `${FEAT}.report.txt`, INIT, `${INIT}.report.txt`]);
    expect(await readdir(w.source)).toEqual(['sdoss_106_frc_info.csv', 'sdoss_106_observatory.csv']);
    // Rejected content is reported once: the next run has nothing to do.
    expect((await w.run()).stats).toMatchObject({ sets: 0, rejected: 0 });
  });

  it('refuses a set whose file names carry a date that does not exist, which would leave it without a night', async () => {
    const w = await world('no-such-date');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const key = 'sdoss_106_20250230T000000_sdo';
    await w.write(`${key}_init.csv`, init(DATE));
    const featPath = await w.write(`${key}_feat.csv`, feat(`${key}_feat.csv`, 2));
    expect((await w.run()).stats).toMatchObject({ loaded: 0, rejected: 1 });
    const [row] = await w.ledger();
    expect(row?.error).toBe(
      `${featPath}: 20250230T000000 in the file name is not a real date and time (YYYYMMDDTHHMMSS, UTC): the set would have no observing night`,
    );
    expect(await w.count('observations')).toBe(0);
  });

  // FILE_SIZE is scaled exactly (file_size: {scale: 1000}): its number written out in full.
  it('refuses a scaled number too long to write out, naming its file, line and column', async () => {
    const w = await world('huge-exponent');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const initPath = await w.write(INIT, init(DATE).replace(';FITS;NULL;', ';FITS;1e999999999;'));
    await w.write(FEAT, feat(FEAT, 3));
    expect((await w.run()).stats).toMatchObject({ loaded: 0, rejected: 1 });
    const [row] = await w.ledger();
    expect(row?.status).toBe('rejected');
    expect(row?.error).toBe(`${initPath}:2:FILE_SIZE: "1e999999999" has more than 1000 digits written plainly`);
  });

  // SDOSS's writer ends every row: a file without its last line end was cut short,
  // here inside the last field (QCLK_FNAME), which would otherwise load shortened.
  it('refuses an init file whose last record has no line end, at that line', async () => {
    const w = await world('cut-short');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const initPath = await w.write(INIT, init(DATE).slice(0, -4));
    await w.write(FEAT, feat(FEAT, 3));
    expect((await w.run()).stats).toMatchObject({ loaded: 0, rejected: 1 });
    const [row] = await w.ledger();
    expect(row?.error).toBe(
      `${initPath}:3: the last record has no line end: the file was cut short (its writer ends every record with one)`,
    );
    expect(await w.count('observations')).toBe(0);
  });

  it('rejects headers with no column in the table at line 1, all of them in one report', async () => {
    const w = await world('bad-header');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const initPath = await w.write(
      INIT,
      init(DATE).replace('QCLK_FNAME', 'QCLK_FNAM').replace('DATA_TYPE', 'DATA_TYP').replace('COMMENT', 'COMENT'),
    );
    await w.run();
    const [row] = await w.ledger();
    expect(row?.error).toBe(
      `${initPath}:1:DATA_TYP: table ${w.hfc}.observations has no column for 3 headers: DATA_TYP, COMENT, QCLK_FNAM ` +
        '(declare them in ingest.sets.observations.ignore or .extra, or add the columns to the table)',
    );
  });

  // A row written twice must not be loaded twice: every member refuses it the same way,
  // naming both lines (docs/ingest-sets.md, "Local ids").
  it('names the local id column of an observation id used twice', async () => {
    const w = await world('twice');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    const initPath = await w.write(INIT, init(DATE).replace('\n2;2;', '\n1;2;'));
    await w.run();
    const [row] = await w.ledger();
    expect(row?.error).toBe(`${initPath}:3:ID_OBSERVATIONS: local id 1 already used on line 2`);
  });

  it('refuses a feature row written twice (its local id used twice), loading nothing of the set', async () => {
    const w = await world('feat-twice');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    await w.write('sdoss_106_observatory.csv', OBSERVATORY);
    await w.write(INIT, init(DATE));
    const rows = feat(FEAT, 3).split('\n');
    const featPath = await w.write(FEAT, [...rows.slice(0, 3), rows[2], ...rows.slice(3)].join('\n'));
    expect((await w.run()).stats).toMatchObject({ rejected: 1, loaded: 0 });
    const [row] = await w.ledger();
    expect(row?.error).toBe(`${featPath}:4:ID_SUNSPOT: local id 2 already used on line 3`);
    expect(row?.report?.issues).toEqual([
      { file: featPath, line: 4, column: 'ID_SUNSPOT', value: '2', reason: 'local id 2 already used on line 3' },
    ]);
    expect(await w.count('observations')).toBe(0);
    expect(await w.count('sunspots')).toBe(0);
  });

  it('refuses a track file that tracks one feature twice', async () => {
    const w = await world('track-twice', { code: 'spoca-ar' });
    await writeSpoca(w, 3);
    const trackPath = await w.write(
      `spoca_301_${DATE}_sdo_track.csv`,
      SPOCA.track([
        [DATE, 1, 7],
        [DATE, 2, 8],
        [DATE, 2, 8],
      ]),
    );
    expect((await w.run()).stats).toMatchObject({ loaded: 1, rejected: 1 });
    const track = (await w.ledger()).find((r) => r.kind === 'track');
    expect(track?.error).toBe(`${trackPath}:4:ID_AR: feature 2 of set ${SPOCA.key(DATE)} already tracked on line 3`);
    expect(await w.count('activeregions_tracking')).toBe(0);
  });
});
