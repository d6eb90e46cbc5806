// Smoke test of the rig's vsftpd: plain FTP and explicit FTPS (with the
// self-signed certificate pinned, and vsftpd's require_ssl_reuse=YES).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { rig } from '../../../harness/rig.js';

describe('rig: vsftpd', () => {
  const r = rig();

  for (const mode of ['ftp', 'ftps'] as const) {
    it(`uploads over ${mode.toUpperCase()} and reports SIZE`, async () => {
      const client = new Client(15_000);
      try {
        await client.access({
          host: r.ftp.host,
          port: r.ftp.port,
          user: r.ftp.user,
          password: r.ftp.password,
          secure: mode === 'ftps',
          secureOptions: mode === 'ftps' ? { ca: readFileSync(r.ftp.ca) } : undefined,
        });
        expect(client.ftp.socket instanceof TLSSocket).toBe(mode === 'ftps');
        const name = `rig-smoke-${mode}-${process.pid}-${Date.now()}.bin`;
        // Larger than one socket write, so the data channel really streams.
        const body = randomBytes(300 * 1024);
        await client.uploadFrom(Readable.from([body]), name);
        expect(await client.size(name)).toBe(body.length);
        // The remote login directory is the rig's FTP root on this machine.
        expect(readFileSync(join(r.ftp.root, name)).equals(body)).toBe(true);
        await client.remove(name);
      } finally {
        client.close();
      }
    });
  }

  it('rejects FTPS when the self-signed certificate is not trusted', async () => {
    const client = new Client(15_000);
    try {
      await expect(
        client.access({ host: r.ftp.host, port: r.ftp.port, user: r.ftp.user, password: r.ftp.password, secure: true }),
      ).rejects.toThrow(/self[- ]signed/i);
    } finally {
      client.close();
    }
  });
});
