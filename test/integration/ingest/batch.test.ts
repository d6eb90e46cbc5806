import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { featureCsv } from './feature-csv.js';
import { useWorlds } from './use-world.js';

const newWorld = useWorlds();

/** How many transactions wrote the ledger's rows (one xmin each). */
async function ledgerTransactions(world: Awaited<ReturnType<typeof newWorld>>): Promise<number> {
  const { transactions } = await world.db.one<{ transactions: number }>(
    'SELECT count(DISTINCT xmin::text)::int AS transactions FROM ingested_files',
  );
  return transactions;
}

describe('single-CSV mode: small files are loaded many to a transaction', () => {
  it('commits a batch once, each file with its ledger row, a bad file rejected and set aside inside it', async () => {
    const world = await newWorld('batch');
    for (let i = 0; i < 12; i++) await world.write(`f${i}.csv`, featureCsv(`f${i}.csv`, 5));
    await world.write('bad.csv', featureCsv('bad.csv', 3).replace('\n2;hmi_2;', '\nnot-a-number;hmi_2;'));
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 12, rejected: 1, failed: 0, pending: 0 });
    expect(await world.count()).toBe(60);
    // One transaction wrote every ledger row, the rejection's among them.
    expect(await ledgerTransactions(world)).toBe(1);
    const bad = (await world.ledger()).find((l) => l.path.endsWith('bad.csv'));
    expect(bad).toMatchObject({ status: 'rejected', rows_inserted: 0 });
    expect(bad?.error).toMatch(new RegExp(`^${world.source}/bad.csv:3:`));
    expect((await readdir(world.source)).includes('bad.csv')).toBe(false);
    expect((await world.run()).stats).toMatchObject({ loaded: 0, skipped: 12 });
  });

  it('leaves out of the COPY every row of a file refused after some of its rows were kept for it', async () => {
    const world = await newWorld('batch_late_refusal');
    // 800 rows (~120 KiB, still small enough to be batched): the rows before the bad one are
    // kept for the batch's COPY in several writes before the bad one refuses the file.
    const late = featureCsv('mid.csv', 800).replace('\n780;hmi_3;', '\nnot-a-number;hmi_3;');
    await world.write('a.csv', featureCsv('a.csv', 5));
    await world.write('mid.csv', late);
    await world.write('z.csv', featureCsv('z.csv', 5));
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 2, rejected: 1, failed: 0, pending: 0 });
    expect(await world.count()).toBe(10);
    expect(await ledgerTransactions(world)).toBe(1);
    expect((await world.ledger()).find((l) => l.path.endsWith('mid.csv'))?.error).toMatch(new RegExp(`^${world.source}/mid.csv:781:`));
  });

  it('sends the rows of files whose headers order the columns differently each to its own columns, in the one transaction', async () => {
    const world = await newWorld('batch_orders');
    const reordered = (csv: string) =>
      csv
        .trimEnd()
        .split('\n')
        .map((line) => {
          const fields = line.split(';');
          return [...fields.slice(1), fields[0]].join(';');
        })
        .join('\n') + '\n';
    for (let i = 0; i < 4; i++) await world.write(`f${i}.csv`, featureCsv(`f${i}.csv`, 3));
    for (let i = 4; i < 8; i++) await world.write(`f${i}.csv`, reordered(featureCsv(`f${i}.csv`, 3)));
    expect((await world.run()).stats).toMatchObject({ loaded: 8, rejected: 0, failed: 0 });
    const rows = await world.db.any<{ id_feat: number; feat_x_arcsec: number; feat_filename: string }>(
      'SELECT id_feat, feat_x_arcsec, feat_filename FROM $1:name.sunspots ORDER BY feat_filename, id_feat',
      [world.hfc],
    );
    expect(rows).toHaveLength(24);
    for (const row of rows) expect(Number(row.feat_x_arcsec)).toBe(Number(row.id_feat) + 0.5);
    expect(await ledgerTransactions(world)).toBe(1);
  });

  it('loads the files of a batch the database refuses one by one: only the refused file is rejected', async () => {
    const world = await newWorld('batch_refused');
    await world.db.none(
      `CREATE FUNCTION $1:name.refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN IF NEW.feat_filename = 'f3.csv' THEN RAISE EXCEPTION 'f3 is not welcome'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER refuse BEFORE INSERT ON $1:name.sunspots FOR EACH ROW EXECUTE FUNCTION $1:name.refuse()`,
      [world.hfc],
    );
    for (let i = 0; i < 6; i++) await world.write(`f${i}.csv`, featureCsv(`f${i}.csv`, 4));
    const outcome = await world.run();
    expect(outcome.stats).toMatchObject({ loaded: 5, rejected: 1, failed: 0 });
    expect(await world.count()).toBe(20);
    const ledger = await world.ledger();
    expect(ledger.filter((l) => l.status === 'loaded')).toHaveLength(5);
    expect(ledger.find((l) => l.path.endsWith('f3.csv'))?.error).toBe(`${world.source}/f3.csv:2: refused by PostgreSQL: f3 is not welcome`);
  });
});
