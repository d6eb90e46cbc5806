// How the stores fail: refused credentials and host keys name the target; a server that
// accepts the connection and then says nothing is cut off by our own deadline; an abort
// stops a transfer at once.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteStore } from '../../../src/adapters/transfer/create-remote-store.js';
import { compileTarget } from '../../../src/config/resolve.js';
import { rig } from '../../../harness/rig.js';
import { rigRoot, rigTarget } from '../../../harness/rig-targets.js';

const run = `t-fail-${process.pid}-${Date.now()}`;
let scratch: string;
let silent: net.Server;
let silentPort: number;
const held: net.Socket[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'nocturne-fail-'));
  // Accepts connections and never answers: neither an FTP greeting nor an SSH banner.
  silent = net.createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await rm(scratch, { recursive: true, force: true });
  await rm(path.join(rigRoot(), run), { recursive: true, force: true });
});

// A wrong FTP password is covered at stage level (test/integration/upload/target-trouble.test.ts).
describe('refused logins name the target', () => {
  it('SFTP: a key the server does not know → TRANSFER_AUTH_FAILED', async () => {
    const key = path.join(scratch, 'stranger');
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const store = createRemoteStore('archive-sftp', compileTarget(rigTarget('sftp', { privateKey: { file: key } })));
    await expect(store.open()).rejects.toMatchObject({
      code: 'TRANSFER_AUTH_FAILED',
      retryable: false,
      message: expect.stringMatching(/^target "archive-sftp": connect .*authentication refused/),
    });
  });

  it('SFTP: an unknown host key → TRANSFER_HOSTKEY_MISMATCH with both fingerprints', async () => {
    const pinned = `SHA256:${'A'.repeat(43)}`;
    const store = createRemoteStore('archive-sftp', compileTarget(rigTarget('sftp', { hostKeySha256: pinned })));
    const err = await store.open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRANSFER_HOSTKEY_MISMATCH', retryable: false });
    expect((err as Error).message).toContain(`target "archive-sftp"`);
    expect((err as Error).message).toContain(`presented host key ${rig().sftp.hostKeySha256}`);
    expect((err as Error).message).toContain(`pins ${pinned}`);
  });
});

describe('our own deadline', () => {
  for (const kind of ['ftps', 'sftp'] as const) {
    it(`${kind}: a server that never answers fails the connect with TIMEOUT`, async () => {
      const store = createRemoteStore('mute', compileTarget(rigTarget(kind, { host: '127.0.0.1', port: silentPort, timeout: '700ms' })));
      const started = Date.now();
      await expect(store.open()).rejects.toMatchObject({ code: expect.stringMatching(/TIMEOUT|TRANSFER_FAILED/), retryable: true });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  }

  it('ftp: a refused connection is retryable and names the target', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const store = createRemoteStore('closed-port', compileTarget(rigTarget('ftp', { port })));
    await expect(store.open()).rejects.toMatchObject({
      code: 'TRANSFER_FAILED',
      retryable: true,
      message: expect.stringContaining('target "closed-port": connect'),
    });
  });
});

describe('abort', () => {
  for (const kind of ['ftp', 'sftp'] as const) {
    it(`${kind}: aborting the signal stops a running put at once and retires the session`, async () => {
      const local = path.join(scratch, `${kind}-big.bin`);
      await writeFile(local, randomBytes(64 * 1024 * 1024));
      const controller = new AbortController();
      const session = await createRemoteStore(`abort-${kind}`, compileTarget(rigTarget(kind))).open(controller.signal);
      try {
        await session.ensureDir(run);
        const putting = session.put(local, `${run}/${kind}-big.bin.partial`);
        setTimeout(() => controller.abort(new Error('test stop')), 20);
        const started = Date.now();
        await expect(putting).rejects.toMatchObject({ code: 'ABORTED' });
        expect(Date.now() - started).toBeLessThan(1_000);
        await expect(session.size(`${run}/${kind}-big.bin.partial`)).rejects.toMatchObject({ code: 'TRANSFER_FAILED' });
      } finally {
        await session.close();
      }
    });
  }
});
