// An empty file over FTPS, against the rig's vsftpd and proftpd: its data connection has no
// bytes to send, only the end of its TLS session (close_notify). An end made before the
// handshake was done (basic-ftp's getCipher() test is fooled by the session offered for
// reuse), or just after it while Node still wrote the client's Finished (the close_notify
// was then lost), failed the upload with the server's decode_error alert. Both are races:
// each case repeats the upload, in new sessions (the first transfer sends EPSV and STOR
// apart) and within one (they go in one write).
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteStore } from '../../../src/adapters/transfer/create-remote-store.js';
import { transferError } from '../../../src/adapters/transfer/transfer-errors.js';
import { compileTarget } from '../../../src/config/resolve.js';
import { rigRoot, rigTarget } from '../../../harness/rig-targets.js';

const run = `t-ftps-empty-${process.pid}-${Date.now()}`;
const SESSIONS = 5;
const PUTS_PER_SESSION = 10;
let scratch: string;
let empty: string;
let small: string;
const body = randomBytes(1_000);

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'nocturne-ftps-empty-'));
  empty = path.join(scratch, 'empty.csv');
  small = path.join(scratch, 'small.csv');
  await writeFile(empty, '');
  await writeFile(small, body);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await rm(path.join(rigRoot(), run), { recursive: true, force: true });
});

describe.each(['ftps', 'proftpd-ftps'] as const)('an empty file over %s', (kind) => {
  const dir = `${run}/${kind}`;

  it(`is put ${SESSIONS * PUTS_PER_SESSION} times and lands empty each time; a small file after it lands whole`, async () => {
    const store = createRemoteStore(`rig-${kind}`, compileTarget(rigTarget(kind)));
    for (let n = 0; n < SESSIONS; n += 1) {
      const session = await store.open();
      try {
        await session.ensureDir(dir);
        for (let i = 0; i < PUTS_PER_SESSION; i += 1) {
          const remote = `${dir}/empty-${n}-${i}.csv`;
          await session.put(empty, remote);
          expect(await session.size(remote)).toBe(0);
        }
        await session.put(small, `${dir}/small-${n}.csv`);
      } finally {
        await session.close();
      }
      expect(readFileSync(path.join(rigRoot(), dir, `small-${n}.csv`)).equals(body)).toBe(true);
    }
    for (let n = 0; n < SESSIONS; n += 1) {
      for (let i = 0; i < PUTS_PER_SESSION; i += 1) {
        expect(statSync(path.join(rigRoot(), dir, `empty-${n}-${i}.csv`)).size).toBe(0);
      }
    }
  });
});

describe('a TLS error that is not the certificate', () => {
  it('is told as a TLS exchange failure, not as a certificate to check', () => {
    // What the server's alert to the cut empty upload looked like.
    const alert = Object.assign(
      new Error('C0D7:error:0A000412:SSL routines:ssl3_read_bytes:tlsv1 alert decode error:SSL alert number 50'),
      {
        code: 'ERR_SSL_TLSV1_ALERT_DECODE_ERROR',
      },
    );
    const error = transferError(alert, { target: 'archive', op: 'put', path: '/hfc/empty.csv' });
    expect(error).toMatchObject({ code: 'TRANSFER_FAILED', retryable: false });
    expect(error.message).toMatch(/^target "archive": put \/hfc\/empty\.csv: TLS exchange failed \(ERR_SSL_TLSV1_ALERT_DECODE_ERROR: /);
    expect(error.message).not.toMatch(/certificate|\bca\b/);
  });
});
