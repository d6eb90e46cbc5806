import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rigRoot, rigTarget } from '../../../harness/rig-targets.js';
import { featureCsv } from './feature-csv.js';
import type { RemoteStore } from '../../../src/adapters/transfer/remote-store.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { useWorlds } from './use-world.js';
import { FIXTURES } from './world.js';

const newWorld = useWorlds();

const remote = {
  ingest: { source: { target: 'archive', dir: '/hfc/sdoss' } },
  targets: { archive: { type: 'local', path: '/nonexistent' } },
};

describe('ingest from a remote target', () => {
  it('loads from the archive, never changes it, and never retries a rejected file until it changes', async () => {
    const world = await newWorld('remote', remote);
    const store = new MemoryStore({ name: 'archive' });
    const fixture = async (name: string) => readFile(path.join(FIXTURES, name));
    store.files.set('/hfc/sdoss/2026/11/good.csv', await fixture('good.csv'));
    store.files.set('/hfc/sdoss/2026/11/bad-number.csv', await fixture('bad-number.csv'));
    store.files.set('/hfc/sdoss/2026/11/notes.txt', Buffer.from('not a csv'));
    store.files.set('/hfc/other/elsewhere.csv', await fixture('crlf-bom.csv'));
    // Over 1 MiB: streamed to a file under paths.work rather than held in memory.
    store.files.set('/hfc/sdoss/2026/12/large.csv', Buffer.from(featureCsv('large.csv', 10_000)));
    const deps = { remoteStore: () => store };

    const first = await world.direct({ deps });
    expect(first.stats).toMatchObject({ files: 3, loaded: 2, rejected: 1, inserted: 10_005 });
    const ledger = (await world.ledger()).sort((a, b) => a.path.localeCompare(b.path));
    expect(ledger.map((l) => [l.path, l.status])).toEqual([
      ['/hfc/sdoss/2026/11/bad-number.csv', 'rejected'],
      ['/hfc/sdoss/2026/11/good.csv', 'loaded'],
      ['/hfc/sdoss/2026/12/large.csv', 'loaded'],
    ]);
    expect(ledger[0]!.error).toBe('/hfc/sdoss/2026/11/bad-number.csv:4:FEAT_X_ARCSEC: "12.3.4" is not a number');
    expect(await world.db.one('SELECT DISTINCT source FROM ingested_files')).toEqual({ source: 'archive:/hfc/sdoss' });
    // Downloads went to a private directory under paths.work, removed afterwards; nothing was set aside locally.
    expect(await readdir(path.join(world.config.paths.work, 'ingest', 'sdoss'))).toEqual([]);
    await expect(readdir(world.quarantine)).rejects.toThrow(/ENOENT/);
    expect(store.files.size).toBe(5);

    const second = await world.direct({ deps });
    expect(second.stats).toMatchObject({ loaded: 0, rejected: 0, skipped: 3 });
    expect(await world.ledger()).toHaveLength(3);

    store.files.set(
      '/hfc/sdoss/2026/11/bad-number.csv',
      Buffer.from((await fixture('bad-number.csv')).toString().replace('12.3.4', '12.3')),
    );
    const third = await world.direct({ deps });
    expect(third.stats).toMatchObject({ loaded: 1, inserted: 4, skipped: 2 });
  });

  it('passes over a listed name no path can carry, says so every run, and loads the others', async () => {
    const world = await newWorld('remote-odd-name', remote);
    const store = new MemoryStore({ name: 'archive' });
    store.files.set('/hfc/sdoss/2026/11/good.csv', await readFile(path.join(FIXTURES, 'good.csv')));
    store.files.set('/hfc/sdoss/2026/11/back\\slash.csv', await readFile(path.join(FIXTURES, 'good.csv')));
    for (const run of [1, 2]) {
      const outcome = await world.direct({ deps: { remoteStore: () => store } });
      expect(outcome, `run ${run}`).toMatchObject({ ok: true, stats: { files: 1, loaded: 2 - run, skipped: run - 1, passedOver: 1 } });
    }
  });

  // A kept error made `firstError ??= await record(...)` skip recording every file after it.
  it('counts and logs the files loaded after one that could not be downloaded', async () => {
    const world = await newWorld('remote-unread', remote);
    const store = new MemoryStore({ name: 'archive' });
    for (const [name, fixture] of [
      ['a-unread.csv', 'good.csv'],
      ['b.csv', 'good.csv'],
      ['c.csv', 'crlf-bom.csv'],
    ]) {
      store.files.set(`/hfc/sdoss/2026/11/${name}`, await readFile(path.join(FIXTURES, fixture!)));
    }
    const unreadable: RemoteStore = {
      name: store.name,
      async open(signal) {
        const session = await store.open(signal);
        return new Proxy(session, {
          get(target, key) {
            if (key === 'read') {
              return (at: string) => (at.endsWith('/a-unread.csv') ? Promise.reject(new Error('550 Permission denied')) : target.read(at));
            }
            const value: unknown = Reflect.get(target, key);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        });
      },
    };
    const outcome = await world.direct({ deps: { remoteStore: () => unreadable } });
    expect(outcome).toMatchObject({ ok: false, stats: { files: 3, loaded: 2, failed: 1 } });
    expect(outcome.summary).toMatch(/^3 files: 2 loaded/);
  });

  for (const protocol of ['sftp', 'ftps'] as const) {
    it(`loads through the real ${protocol} server of the rig`, async () => {
      const dir = `ingest-${randomBytes(4).toString('hex')}`;
      const local = path.join(rigRoot(), dir, '2026');
      await mkdir(local, { recursive: true });
      try {
        await copyFile(path.join(FIXTURES, 'good.csv'), path.join(local, 'good.csv'));
        await copyFile(path.join(FIXTURES, 'crlf-bom.csv'), path.join(local, 'crlf-bom.csv'));
        const world = await newWorld(protocol, {
          // Written with a trailing slash, as a person may: every listing failed on it (an empty segment).
          ingest: { source: { target: 'archive', dir: `${dir}/` } },
          targets: { archive: rigTarget(protocol) },
        });
        const outcome = await world.run();
        expect(outcome.stats).toMatchObject({ files: 2, loaded: 2, inserted: 8 });
        // Paths as the server reports them: the relative directory resolved against the login directory.
        expect((await world.ledger()).map((l) => l.path).sort()).toEqual([
          `${rigRoot()}/${dir}/2026/crlf-bom.csv`,
          `${rigRoot()}/${dir}/2026/good.csv`,
        ]);
        // Files recorded without their time (by an older version) get it when read again...
        await world.db.none('UPDATE ingested_files SET modified_at = NULL');
        expect((await world.run()).stats).toMatchObject({ loaded: 0, skipped: 2 });
        const timed = await world.db.one<{ n: string }>('SELECT count(modified_at) AS n FROM ingested_files');
        expect(timed.n).toBe('2');
        expect((await readdir(local)).sort()).toEqual(['crlf-bom.csv', 'good.csv']);
        // ...and listings carry modification times (FTP by MDTM): files already loaded are
        // skipped unread (unreadable now, a download would fail).
        for (const name of ['crlf-bom.csv', 'good.csv']) await chmod(path.join(local, name), 0o000);
        expect((await world.run()).stats).toMatchObject({ loaded: 0, skipped: 2, failed: 0 });
      } finally {
        await rm(path.join(rigRoot(), dir), { recursive: true, force: true });
      }
    });
  }
});
