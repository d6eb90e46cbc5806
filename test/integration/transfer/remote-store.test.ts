// The RemoteStore contract, run against the rig's real vsftpd and proftpd (FTP and
// explicit FTPS each), sshd (SFTP), a local directory and the in-memory store the unit
// tests use (test/helpers/memory-store.ts): every implementation must behave the same.
// Where servers differ (MLSD, HASH), the test says which does what.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSchema, type TargetConfig } from '../../../src/config/schema.js';
import { createRemoteStore } from '../../../src/adapters/transfer/create-remote-store.js';
import { compileTarget } from '../../../src/config/resolve.js';
import type { RemoteSession, RemoteStore } from '../../../src/adapters/transfer/remote-store.js';
import { rigRoot, rigTarget } from '../../../harness/rig-targets.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const run = `t-store-${process.pid}-${Date.now()}`;
let scratch: string;
let localRoot: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'nocturne-store-'));
  localRoot = path.join(scratch, 'archive');
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await rm(path.join(rigRoot(), run), { recursive: true, force: true });
});

/** What the contract runs against: a store, and a look at its directories from outside it. */
interface Subject {
  /** The store to open a session of (the memory store: always the same one, which holds the files). */
  store(): RemoteStore;
  /** Whether a remote directory exists. */
  exists(remotePath: string): boolean;
  /** Writes a file of any name (bytes) into a remote directory from outside the server. */
  plant(remoteDir: string, name: Buffer): void;
}

/** A target whose remote paths are files of this machine, below `root`. */
function onDisk(kind: string, config: () => TargetConfig, root: () => string): Subject {
  return {
    store: () => createRemoteStore(`rig-${kind}`, compileTarget(config())),
    exists: (remotePath) => existsSync(path.join(root(), remotePath)),
    plant: (remoteDir, name) => writeFileSync(Buffer.concat([Buffer.from(`${path.join(root(), remoteDir)}/`), name]), 'a,b\n'),
  };
}

const memory = new MemoryStore({ name: 'rig-memory' });

const subjects: Array<[string, Subject]> = [
  ['ftp', onDisk('ftp', () => rigTarget('ftp'), rigRoot)],
  ['ftps', onDisk('ftps', () => rigTarget('ftps'), rigRoot)],
  ['proftpd-ftp', onDisk('proftpd-ftp', () => rigTarget('proftpd-ftp'), rigRoot)],
  ['proftpd-ftps', onDisk('proftpd-ftps', () => rigTarget('proftpd-ftps'), rigRoot)],
  ['sftp', onDisk('sftp', () => rigTarget('sftp'), rigRoot)],
  [
    'local',
    onDisk(
      'local',
      () => targetSchema.parse({ type: 'local', path: localRoot }),
      () => localRoot,
    ),
  ],
  [
    'memory',
    {
      store: () => memory,
      exists: (remotePath) => memory.hasDir(remotePath),
      // A name's bytes as a client decodes them: U+FFFD where they are not UTF-8.
      plant: (remoteDir, name) => memory.files.set(`${remoteDir}/${name.toString()}`, Buffer.from('a,b\n')),
    },
  ],
];

/** Runs `work` in a session of the subject's store, closed after it. */
function sessionsOf(subject: Subject) {
  return async <T>(work: (s: RemoteSession) => Promise<T>): Promise<T> => {
    const session = await subject.store().open();
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  };
}

describe.each(subjects)('RemoteStore over %s', (kind, subject) => {
  const dir = `${run}/${kind}/a b/2014`;

  const withSession = sessionsOf(subject);

  // FTP sends a file under 1 MiB from memory, a larger one as a stream.
  it.each([300 * 1024 + 7, 3 * 1024 * 1024 + 11])(
    'put with sha256, %i bytes: the SHA-256 of the bytes sent (the memory store leaves it to the caller: null)',
    async (bytes) => {
      const body = randomBytes(bytes);
      const local = path.join(scratch, `${kind}-hashed-${bytes}.bin`);
      await writeFile(local, body);
      await withSession(async (s) => {
        await s.ensureDir(dir);
        const sent = await s.put(local, `${dir}/hashed.bin`, { sha256: true });
        expect(sent).toBe(kind === 'memory' ? null : createHash('sha256').update(body).digest('hex'));
        expect(await s.put(local, `${dir}/hashed.bin`)).toBeNull();
        expect(await s.size(`${dir}/hashed.bin`)).toBe(body.length);
        if (kind !== 'memory') {
          const landed = readFileSync(path.join(kind === 'local' ? localRoot : rigRoot(), dir, 'hashed.bin'));
          expect(landed.equals(body)).toBe(true);
        }
        await s.remove(`${dir}/hashed.bin`);
      });
    },
  );

  it('creates directories, puts, sizes, renames over an existing file, reads back, lists and removes', async () => {
    const body = randomBytes(300 * 1024 + 7);
    const local = path.join(scratch, `${kind}.bin`);
    await writeFile(local, body);
    await withSession(async (s) => {
      await s.ensureDir(dir);
      await s.ensureDir(dir);
      await s.put(local, `${dir}/x.partial`);
      expect(await s.size(`${dir}/x.partial`)).toBe(body.length);
      expect(await s.size(`${dir}/missing.csv`)).toBeNull();
      await s.put(local, `${dir}/final.bin`);
      await s.rename(`${dir}/x.partial`, `${dir}/final.bin`);
      expect(await s.size(`${dir}/x.partial`)).toBeNull();
      const hash = createHash('sha256');
      for await (const chunk of await s.read(`${dir}/final.bin`)) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
      // The session is usable again once the read stream has ended.
      expect(await s.size(`${dir}/final.bin`)).toBe(body.length);
      const { entries: listed } = await s.list(`${run}/${kind}`, true);
      expect(listed.map((e) => [path.posix.basename(e.path), e.isDirectory, e.isDirectory ? 0 : e.sizeBytes]).sort()).toEqual(
        [
          ['2014', true, 0],
          ['a b', true, 0],
          ['final.bin', false, body.length],
        ].sort(),
      );
      // SFTP, local and proftpd's MLSD listings carry the files' times; vsftpd offers no
      // MLSD, so over it FTP asks MDTM.
      const final = listed.find((e) => e.path.endsWith('/final.bin'))!;
      if (kind.startsWith('ftp')) expect(final.modifiedAt).toBeNull();
      if (kind.startsWith('proftpd')) expect(final.modifiedAt).not.toBeNull();
      const written = final.modifiedAt ?? (await s.modifiedAt?.(final.path)) ?? null;
      expect(Math.abs((written?.getTime() ?? 0) - Date.now())).toBeLessThan(120_000);
      if (s.modifiedAt) expect(await s.modifiedAt(`${dir}/missing.csv`)).toBeNull();
      expect(await s.list(`${run}/${kind}/nowhere`, false)).toEqual({ entries: [], passedOver: [] });
      // Only proftpd (mod_digest) computes a SHA-256 on the server.
      const digest = createHash('sha256').update(body).digest('hex');
      expect(s.serverHashes).toEqual(kind.startsWith('proftpd') ? ['sha256'] : []);
      expect(await s.serverHash(`${dir}/final.bin`, 'sha256')).toBe(kind.startsWith('proftpd') ? digest : null);
      await s.remove(`${dir}/final.bin`);
      await s.remove(`${dir}/final.bin`);
      expect(await s.size(`${dir}/final.bin`)).toBeNull();
    });
    expect(subject.exists(dir)).toBe(true);
  });

  it('passes over a listed name no path can carry (a backslash, bytes that are not UTF-8) and lists the rest', async () => {
    const odd = `${run}/${kind}/odd`;
    await withSession((s) => s.ensureDir(odd));
    for (const name of ['back\\slash.csv', 'good.csv']) subject.plant(odd, Buffer.from(name));
    subject.plant(odd, Buffer.from([0x69, 0x6e, 0x76, 0xff, 0x2e, 0x63, 0x73, 0x76]));
    const listing = await withSession((s) => s.list(odd, true));
    expect(listing.entries.map((e) => path.posix.basename(e.path))).toEqual(['good.csv']);
    expect(listing.passedOver).toHaveLength(2);
    expect(listing.passedOver).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ relative: 'back\\slash.csv', why: expect.stringMatching(/backslash: rename it on the server$/) }),
        expect.objectContaining({ relative: 'inv\uFFFD.csv', why: expect.stringMatching(/not valid UTF-8/) }),
      ]),
    );
  });

  // FTP sends RNFR and RNTO in one write: the refusal of RNFR must end the rename (RNTO's
  // "503" answered too), not leave it waiting for a reply.
  it('renaming a file that is not there fails at once with the server refusal; nothing appears', async () => {
    await withSession(async (s) => {
      await s.ensureDir(dir);
      await expect(s.rename(`${dir}/absent.partial`, `${dir}/absent.bin`)).rejects.toThrow(/absent\.partial/);
    });
    expect(await withSession((s) => s.size(`${dir}/absent.bin`))).toBeNull();
  });

  it('a reader that stops early neither hangs nor leaks, and a new session works', async () => {
    const local = path.join(scratch, `${kind}-early.bin`);
    await writeFile(local, randomBytes(2 * 1024 * 1024));
    await withSession(async (s) => {
      await s.ensureDir(dir);
      await s.put(local, `${dir}/early.bin`);
      const stream = await s.read(`${dir}/early.bin`);
      for await (const chunk of stream) {
        void chunk;
        break;
      }
      // The abandoned download is torn down: the next call answers at once, or fails at
      // once as a transfer error of this target (the session is then retired), never hangs.
      const started = Date.now();
      const next = await s.size(`${dir}/early.bin`).then(
        (size) => String(size),
        (err: unknown) => (err as Error).message,
      );
      expect(next).toMatch(new RegExp(`^(${2 * 1024 * 1024}|target "rig-${kind}": .*)$`));
      expect(Date.now() - started).toBeLessThan(2_000);
    });
    await withSession(async (s) => {
      expect(await s.size(`${dir}/early.bin`)).toBe(2 * 1024 * 1024);
      await s.remove(`${dir}/early.bin`);
    });
  });

  it('creates the same directories from several connections at once', async () => {
    const sessions = await Promise.all([1, 2, 3, 4].map(() => subject.store().open()));
    try {
      for (const n of [1, 2, 3]) {
        await Promise.all(sessions.map((s) => s.ensureDir(`${run}/${kind}/race${n}/x/y/z`)));
      }
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
    expect(subject.exists(`${run}/${kind}/race3/x/y/z`)).toBe(true);
  });

  it('refuses unsafe remote paths before sending anything', async () => {
    await withSession(async (s) => {
      await expect(s.size(`${run}/../etc/passwd`)).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
      await expect(s.put(path.join(scratch, 'any'), `${run}/a\r\nDELE x`)).rejects.toMatchObject({ code: 'PATH_UNSAFE' });
      // A refused path is not a connection failure: the session stays usable.
      expect(await s.size(`${run}/none`)).toBeNull();
    });
  });

  it('fails a read of a missing file with an error naming target and path, and retires the session', async () => {
    await withSession(async (s) => {
      const reading = (async () => {
        for await (const chunk of await s.read(`${dir}/absent.csv`)) void chunk;
      })();
      await expect(reading).rejects.toThrow(new RegExp(`target "rig-${kind}": read .*absent\\.csv`));
      await expect(s.size(`${dir}/absent.csv`)).rejects.toThrow(/open a new one/);
    });
  });
});

describe('FTPS certificate', () => {
  it('is refused when the ca is not configured, naming the target', async () => {
    const store = createRemoteStore('no-ca', compileTarget(rigTarget('ftps', { ca: undefined })));
    await expect(store.open()).rejects.toMatchObject({
      code: 'TRANSFER_FAILED',
      retryable: false,
      message: expect.stringMatching(/target "no-ca": connect .*TLS certificate refused/),
    });
  });

  it('really encrypts the data connection with the pinned ca', async () => {
    // vsftpd's require_ssl_reuse=YES rejects data connections that do not resume the
    // control session: a successful put proves the resumption works.
    const local = path.join(scratch, 'tls.bin');
    await writeFile(local, randomBytes(70_000));
    const session = await createRemoteStore('tls', compileTarget(rigTarget('ftps'))).open();
    try {
      await session.ensureDir(`${run}/tls`);
      await session.put(local, `${run}/tls/x.bin`);
    } finally {
      await session.close();
    }
    expect(readFileSync(path.join(rigRoot(), run, 'tls/x.bin')).equals(readFileSync(local))).toBe(true);
  });
});

// Links and rights exist on disk only: the memory store has neither.
describe.each(subjects.filter(([kind]) => kind !== 'memory'))('RemoteStore over %s, on disk', (kind, subject) => {
  const withSession = sessionsOf(subject);

  // A link may point anywhere, and one directory the server's user may not read must not
  // keep every other file from being listed (ingest: run after run).
  it('passes over a link and, below the root, a directory the server will not list', async () => {
    const tree = `${run}/${kind}/tree`;
    await withSession((s) => s.ensureDir(`${tree}/locked`));
    subject.plant(tree, Buffer.from('good.csv'));
    subject.plant(`${tree}/locked`, Buffer.from('hidden.csv'));
    const onDiskTree = path.join(kind === 'local' ? localRoot : rigRoot(), tree);
    symlinkSync('good.csv', path.join(onDiskTree, 'link.csv'));
    chmodSync(path.join(onDiskTree, 'locked'), 0o000);
    try {
      const listing = await withSession((s) => s.list(tree, true));
      expect(listing.entries.map((e) => path.posix.basename(e.path)).sort()).toEqual(
        kind === 'local' ? ['good.csv', 'hidden.csv', 'locked'] : ['good.csv', 'locked'],
      );
      expect(listing.passedOver).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ relative: 'link.csv', why: expect.stringMatching(/symbolic link on the server: not followed/) }),
        ]),
      );
      // Root reads every directory: the local store, run by the tests as root, lists it.
      if (kind !== 'local') {
        expect(listing.passedOver).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ relative: 'locked', isDirectory: true, why: expect.stringMatching(/the server does not list it/) }),
          ]),
        );
      }
    } finally {
      chmodSync(path.join(onDiskTree, 'locked'), 0o755);
    }
  });
});
