// The monitor's thumbnails read from the rig's real vsftpd: what they ask of the archive.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteStore } from '../../../src/adapters/transfer/create-remote-store.js';
import type { RemoteSession, RemoteStore } from '../../../src/adapters/transfer/remote-store.js';
import { compileTarget } from '../../../src/config/resolve.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import type { Db } from '../../../src/db/database.js';
import { FAILURE_KEPT_MS, Thumbnails } from '../../../src/monitor/thumbnails.js';
import { rigRoot, rigTarget } from '../../../harness/rig-targets.js';

const run = `t-thumbs-${process.pid}-${Date.now()}`;
const config = { daemon: { targets: { rig: compileTarget(rigTarget('ftp')) } } } as unknown as NocturneConfig;

type Row = { kind: string; state: string; local_path: string; quarantine_path: null; target: string; remote_path: string };
/** Transfers by id, as the monitor's query reads them; their local files are gone, so the archive is read. */
const rows = new Map<number, Row>();
const db = { oneOrNone: async (_sql: string, [id]: [number]) => rows.get(id) ?? null } as unknown as Db;
function transfer(id: number, kind: string, name: string): void {
  rows.set(id, {
    kind,
    state: 'deleted',
    local_path: `/nonexistent/${name}`,
    quarantine_path: null,
    target: 'rig',
    remote_path: `${run}/${name}`,
  });
}

/** The real FTP store, counting the sessions opened and the most open at once. */
function counting(): { openStore: (name: string) => Promise<RemoteStore>; opened: number; most: number } {
  const counts = { opened: 0, most: 0, open: 0 };
  return Object.assign(counts, {
    openStore: async (name: string): Promise<RemoteStore> => {
      const store = createRemoteStore(name, config.daemon.targets['rig']!);
      return {
        name,
        async open() {
          counts.opened += 1;
          counts.open += 1;
          counts.most = Math.max(counts.most, counts.open);
          const session = await store.open();
          // Only what a thumbnail uses: read, close.
          return {
            read: (remotePath: string) => session.read(remotePath),
            close: async () => {
              counts.open -= 1;
              await session.close();
            },
          } as unknown as RemoteSession;
        },
      };
    },
  });
}

beforeAll(async () => {
  const dir = path.join(rigRoot(), run);
  await mkdir(dir, { recursive: true });
  const jpeg = await sharp({ create: { width: 480, height: 320, channels: 3, background: '#336' } })
    .jpeg()
    .toBuffer();
  for (let id = 1; id <= 20; id++) {
    await writeFile(path.join(dir, `ql-${id}.jpg`), jpeg);
    transfer(id, id % 2 ? 'output' : 'thumbnail', `ql-${id}.jpg`);
  }
  await writeFile(path.join(dir, 'set_feat.csv'), 'a,b\n1,2\n');
  transfer(100, 'output', 'set_feat.csv');
  transfer(101, 'output', 'gone-from-the-archive.jpg');
});
afterAll(async () => rm(path.join(rigRoot(), run), { recursive: true, force: true }));

describe('thumbnails from the archive', () => {
  it('makes one thumbnail once for requests that come together, over one session', async () => {
    const store = counting();
    const thumbnails = new Thumbnails({ openStore: store.openStore });
    const answers = await Promise.all(Array.from({ length: 10 }, () => thumbnails.of(config, db, 1)));
    expect(answers.map((a) => a.kind)).toEqual(Array(10).fill('made'));
    expect(store.opened).toBe(1);
    expect((await thumbnails.of(config, db, 1)).kind).toBe('made');
    expect(store.opened).toBe(1);
  });

  it('never reads a transfer that is not a quicklook, nor one that does not exist', async () => {
    const store = counting();
    const thumbnails = new Thumbnails({ openStore: store.openStore });
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, () => thumbnails.of(config, db, 100)),
      thumbnails.of(config, db, 999),
    ]);
    expect(new Set(answers.map((a) => a.kind))).toEqual(new Set(['no-quicklook']));
    expect(store.opened).toBe(0);
  });

  it('remembers a failure for a while: a repeat does not go to the archive again', async () => {
    const store = counting();
    let now = 1_000_000;
    const thumbnails = new Thumbnails({ openStore: store.openStore, now: () => now });
    expect((await thumbnails.of(config, db, 101)).kind).toBe('none');
    expect((await thumbnails.of(config, db, 101)).kind).toBe('none');
    expect(store.opened).toBe(1);
    now += FAILURE_KEPT_MS + 1;
    expect((await thumbnails.of(config, db, 101)).kind).toBe('none');
    expect(store.opened).toBe(2);
  });

  it('holds one archive session at a time; past a few waiting, the others are told to come back', async () => {
    const store = counting();
    const thumbnails = new Thumbnails({ openStore: store.openStore });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => thumbnails.of(config, db, i + 1)));
    const kinds = answers.map((a) => a.kind);
    expect(store.most).toBe(1);
    expect(kinds.filter((k) => k === 'made').length).toBe(store.opened);
    expect(kinds.filter((k) => k === 'busy').length).toBe(20 - store.opened);
    const first = store.opened;
    expect(first).toBeLessThan(20);
    // Busy is not a failure: asked again, those made are kept and more of the others are made.
    const again = await Promise.all(Array.from({ length: 20 }, (_, i) => thumbnails.of(config, db, i + 1)));
    expect(again.filter((a) => a.kind === 'busy').length).toBeLessThan(20 - first);
    expect(store.most).toBe(1);
  });
});
