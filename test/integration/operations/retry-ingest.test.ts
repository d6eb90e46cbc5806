import { existsSync } from 'node:fs';
import { link } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsWorld, type OpsWorld } from './world.js';

describe('nocturne retry --stage ingest, as the real command line (needs npm run build)', () => {
  let w: OpsWorld;
  beforeAll(async () => {
    w = await opsWorld('retryingest');
  });
  afterAll(async () => w?.close());

  const ledger = () =>
    w.t.db.any<{ path: string; status: string }>(`SELECT regexp_replace(path, '^.*/', '') AS path, status FROM ingested_files ORDER BY id`);
  const rows = async () => Number((await w.t.db.one<{ n: string }>(`SELECT count(*) AS n FROM ${w.table}`)).n);

  it('retries a rejected file once its target is corrected, records who asked, and a second failure stays failed with both attempts', async () => {
    await w.writeCsv('a.csv', 1, 10, [5_000_000]);
    await w.writeCsv('b.csv', 100, 10, [6_000_000]);
    const first = await w.cli('run', 'eit', '--stage', 'ingest');
    // Rejecting bad input is the stage doing its job: the run succeeds.
    expect(first.code, first.stderr).toBe(0);
    expect(await ledger()).toEqual([
      { path: 'a.csv', status: 'rejected' },
      { path: 'b.csv', status: 'rejected' },
    ]);
    // A rejected file is not read again by a plain run, whatever was fixed meanwhile.
    await w.fixTable();
    expect((await w.cli('run', 'eit', '--stage', 'ingest')).code).toBe(0);
    expect(await rows()).toBe(0);

    const dry = await w.cli('retry', 'eit', '--stage', 'ingest', '--file', 'a.*', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would retry: ingest file \S+\/a\.csv, failed \S+Z \(.*small_ids.*\)$/m);
    expect(dry.stdout).toContain('eit: 1 item(s) to retry (dry run: nothing changed)');
    expect(await ledger()).toHaveLength(2);

    const retried = await w.cli('retry', 'eit', '--stage', 'ingest', '--file', 'a.*', '--now');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/^retry #\d+: 1 item\(s\) back in line$/m);
    expect(retried.stdout).toMatch(/^eit\/ingest: run \d+: ok: /m);
    expect(await ledger()).toEqual([
      { path: 'b.csv', status: 'rejected' },
      { path: 'a.csv', status: 'loaded' },
    ]);
    expect(await rows()).toBe(11);

    // b fails again (the constraint is back): it stays rejected, both attempts on record.
    await w.breakTable();
    const again = await w.cli('retry', 'eit', '--failed', '--since', '2000-01-01', '--now');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^eit\/ingest: run \d+: ok: 2 files: 0 loaded .*, 1 skipped, 1 rejected$/m);
    expect(await ledger()).toEqual([
      { path: 'a.csv', status: 'loaded' },
      { path: 'b.csv', status: 'rejected' },
    ]);
    const earlier = await w.t.db.any<{ item: string; status: string; asked_by: string }>(
      `SELECT regexp_replace(i.item, '^.*/', '') AS item, i.previous->>'status' AS status, a.asked_by
         FROM retried_items i JOIN operator_actions a ON a.id = i.action_id ORDER BY i.id`,
    );
    expect(earlier.map((e) => [e.item, e.status])).toEqual([
      ['a.csv', 'rejected'],
      ['b.csv', 'rejected'],
    ]);
    expect(earlier[0]!.asked_by).toMatch(/^\S+@\S+$/);
    const history = await w.cli('history', 'eit');
    expect(history.stdout.match(/^#\d+\s+retry\s+eit\/ingest\s+\S+\s+\S+@\S+\s+ingest=1 run \d+$/gm)).toHaveLength(2);
  });

  it('finishes a move back cut short between its link and its unlink: the file back in the source and still set aside', async () => {
    // The constraint is still there from the test above: c is rejected.
    await w.writeCsv('c.csv', 200, 10, [7_000_000]);
    expect((await w.cli('run', 'eit', '--stage', 'ingest')).code).toBe(0);
    const source = path.join(w.csv, 'c.csv');
    const setAside = path.join(w.dir, 'state/quarantine/eit/c.csv');
    expect(existsSync(source)).toBe(false);
    // What a retry killed after linking the file back leaves: both names, nothing recorded.
    await link(setAside, source);
    await w.fixTable();
    const retried = await w.cli('retry', 'eit', '--stage', 'ingest', '--file', 'c.csv', '--now');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/^eit\/ingest: run \d+: ok: /m);
    expect(existsSync(setAside)).toBe(false);
    // The rejected row left the ledger for retried_items; the file loaded once.
    expect((await ledger()).filter((r) => r.path === 'c.csv')).toEqual([{ path: 'c.csv', status: 'loaded' }]);
  });

  it('retries a corrected file put back in the source by a person, and leaves its set-aside copy alone', async () => {
    await w.breakTable();
    await w.writeCsv('d.csv', 300, 10, [8_000_000]);
    expect((await w.cli('run', 'eit', '--stage', 'ingest')).code).toBe(0);
    const setAside = path.join(w.dir, 'state/quarantine/eit/d.csv');
    expect(existsSync(setAside)).toBe(true);
    await w.writeCsv('d.csv', 300, 10);
    const retried = await w.cli('retry', 'eit', '--stage', 'ingest', '--file', 'd.csv', '--now');
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/^eit\/ingest: run \d+: ok: /m);
    expect((await ledger()).filter((r) => r.path === 'd.csv')).toEqual([{ path: 'd.csv', status: 'loaded' }]);
    expect(existsSync(setAside)).toBe(true);
  });

  it('refuses an incomplete request with a usage error', async () => {
    const r = await w.cli('retry', 'eit', '--stage', 'ingest');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--stage ingest needs --set KEY or --file PATH (or --failed)');
    expect((await w.cli('retry', 'nope', '--failed')).stderr).toContain('no pipeline named "nope"');
  });
});
