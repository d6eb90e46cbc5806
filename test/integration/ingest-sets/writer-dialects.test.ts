// The rules of ingest.sets that follow how each code's writer writes (docs/ingest-sets.md):
// checked encodings, headers ignored or kept in extra, an unquoted URL holding ";",
// rejections tried again under a new configuration, metadata corrections kept in
// history, natural keys compared normalised.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATE, FEAT, FRC_INFO, INIT, OBSERVATORY, feat, init } from './sdoss-files.js';
import { useSetsWorlds, type SetsWorld } from './world.js';

const HFC = fileURLToPath(new URL('../../fixtures/hfc/', import.meta.url));
const world = useSetsWorlds();
const WIN = 'rabat3_203_win_20140221T000000';

async function sdossMetadata(w: SetsWorld): Promise<void> {
  await w.write('sdoss_106_frc_info.csv', FRC_INFO);
  await w.write('sdoss_106_observatory.csv', OBSERVATORY);
}

async function rabat3Win(w: SetsWorld, init?: Buffer): Promise<string> {
  for (const name of ['rabat3_203_win_frc_info.csv', 'rabat3_203_win_observatory.csv', `${WIN}_feat.csv`]) {
    await w.copy(path.join(HFC, 'rabat3', name));
  }
  if (init) return w.write(`${WIN}_init.csv`, init);
  return w.copy(path.join(HFC, 'rabat3', `${WIN}_init.csv`));
}

describe('writer dialects', () => {
  it('refuses bytes that are not text in the declared encoding at file:line:column, and reads them in the right one', async () => {
    const w = await world('encoding', { code: 'rabat3' });
    const real = await import('node:fs/promises').then((fs) => fs.readFile(path.join(HFC, 'rabat3', `${WIN}_init.csv`), 'latin1'));
    const withAccent = real.replace('Wind/Waves Rad2 60 sec. averaged data', 'Données Wind/Waves');
    const initPath = await rabat3Win(w, Buffer.from(withAccent, 'utf8'));
    expect((await w.run()).stats).toMatchObject({ rejected: 1, loaded: 0 });
    const column = withAccent.split('\r\n')[1]!.indexOf('é') + 1;
    expect((await w.ledger())[0]!.error).toBe(
      `${initPath}:2:${column}: byte 0xc3 starts a UTF-8 character ("é"): the file is UTF-8, not Latin-1 (declare encoding utf8)`,
    );
    // Written in Latin-1, as declared: loaded, the accent intact.
    await rabat3Win(w, Buffer.from(withAccent, 'latin1'));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    expect((await w.db.one<{ comment: string }>(`SELECT comment FROM $1:name.observations`, [w.hfc])).comment).toBe('Données Wind/Waves');
  });

  it('keeps declared extra headers in the jsonb column extra, drops ignored ones, and tries a rejected set again once the configuration changes', async () => {
    const w = await world('extra');
    await sdossMetadata(w);
    const header = (text: string) => text.replace('QCLK_FNAME', 'QCLK_FNAME;WAVELNTH;ORIGIN').replace(/;NULL\n/g, ';NULL;6173;SDO/JSOC\n');
    const initPath = await w.write(INIT, header(init(DATE)));
    await w.write(FEAT, feat(FEAT, 2));
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    expect((await w.ledger())[0]!.error).toBe(
      `${initPath}:1:WAVELNTH: table ${w.hfc}.observations has no column for 2 headers: WAVELNTH, ORIGIN (declare them in ingest.sets.observations.ignore or .extra, or add the columns to the table)`,
    );
    // The same files under a configuration that declares the headers: tried again, loaded.
    await w.write(INIT, header(init(DATE)));
    await w.write(FEAT, feat(FEAT, 2));
    await w.reconfigure({
      observations: { localId: 'ID_OBSERVATIONS', references: { OBSERVATORY_ID: 'observatory' }, extra: ['WAVELNTH'], ignore: ['ORIGIN'] },
    });
    expect((await w.run()).stats).toMatchObject({ loaded: 1, rejected: 0 });
    expect((await w.ledger()).map((r) => r.status)).toEqual(['loaded']);
    expect(await w.db.any(`SELECT extra FROM $1:name.observations ORDER BY id_observations`, [w.hfc])).toEqual([
      { extra: { WAVELNTH: '6173' } },
      { extra: { WAVELNTH: '6173' } },
    ]);
    // Unchanged configuration and files: skipped, not read again.
    expect((await w.run()).stats).toMatchObject({ skipped: 1, loaded: 0, rejected: 0 });
  });

  it('gives the fields of an unquoted URL holding ";" back to it when the pipeline names it (the older IDL writer), refuses the row otherwise', async () => {
    const w = await world('overflow');
    await sdossMetadata(w);
    const unquoted = init(DATE).replace(/"([^"]*)"/g, '$1');
    const initPath = await w.write(INIT, unquoted);
    expect((await w.run()).stats).toMatchObject({ rejected: 1 });
    expect((await w.ledger())[0]!.error).toBe(
      `${initPath}:2: expected 29 fields, found 30 (a truncated or broken record; field 30 is "NULL")`,
    );
    await w.write(INIT, unquoted);
    await w.reconfigure({ writer: { nullValues: ['NULL'], trim: true, overflow: 'URL' } });
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    const urls = await w.db.any<{ url: string }>(`SELECT url FROM $1:name.observations ORDER BY id_observations`, [w.hfc]);
    expect(urls.map((u) => u.url)).toEqual([
      'http://vso.example.org/cgi-bin/drms_export.cgi?series=hmi__ic;compress=rice',
      'http://vso.example.org/cgi-bin/drms_export.cgi?series=hmi__m;compress=rice',
    ]);
  });
});

describe('shared metadata rows', () => {
  it('updates a row a corrected metadata file changes, keeping its old values in metadata_history; keys compare normalised', async () => {
    const w = await world('metadata-update');
    await sdossMetadata(w);
    await w.write(INIT, init(DATE));
    await w.write(FEAT, feat(FEAT, 1));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    // A corrected contact, and the instrument spelt otherwise (case, blanks): the same rows.
    await w.write('sdoss_106_frc_info.csv', FRC_INFO.replace('jane.doe@example.org', 'help@example.org'));
    await w.write('sdoss_106_observatory.csv', OBSERVATORY.replace(/;SDO;Continuum;HMI;/, ';sdo; CONTINUUM ;hmi;'));
    await w.write('sdoss_106_20140221T060045_sdo_init.csv', init('20140221T060045'));
    await w.write('sdoss_106_20140221T060045_sdo_feat.csv', feat('sdoss_106_20140221T060045_sdo_feat.csv', 1));
    expect((await w.run()).stats).toMatchObject({ loaded: 1 });
    expect([await w.count('frc_info'), await w.count('observatory')]).toEqual([1, 2]);
    expect(await w.db.any(`SELECT contact FROM $1:name.frc_info`, [w.hfc])).toEqual([{ contact: 'help@example.org' }]);
    // The key columns keep their first spelling.
    expect(await w.db.any(`SELECT observat, telescop FROM $1:name.observatory ORDER BY id_observatory`, [w.hfc])).toEqual([
      { observat: 'SDO', telescop: 'Continuum' },
      { observat: 'SDO', telescop: 'Magnetogram' },
    ]);
    const history = await w.db.any<{ table_name: string; old: string; new: string }>(
      `SELECT table_name, old_values ->> 'contact' AS old, new_values ->> 'contact' AS new FROM $1:name.metadata_history`,
      [w.hfc],
    );
    expect(history).toEqual([{ table_name: 'frc_info', old: 'jane.doe@example.org', new: 'help@example.org' }]);
  });

  it('refuses a set whose observatory id its metadata file lists twice (never picks one)', async () => {
    const w = await world('ambiguous');
    await w.write('sdoss_106_frc_info.csv', FRC_INFO);
    const observatory = await w.write('sdoss_106_observatory.csv', OBSERVATORY.replace('\n2;SDO;Magnetogram', '\n1;SDO;Magnetogram'));
    await w.write(INIT, init(DATE));
    expect((await w.run()).stats).toMatchObject({ rejected: 1, loaded: 0 });
    const rejected = await w.db.one<{ error: string }>(`SELECT error FROM $1:name.rejected_sets`, [w.hfc]);
    expect(rejected.error).toBe(
      `${observatory}:3:ID_OBSERVATORY: local id 1 already used on line 2: the sets' references to it are ambiguous`,
    );
    expect(await w.count('observatory')).toBe(0);
  });
});
