// Smoke test of the rig's proftpd: plain FTP and explicit FTPS with its own self-signed
// certificate pinned, and the replies of mod_digest that the FTP store parses (HASH on
// two lines after OPTS HASH SHA-256, XSHA256 with code 250 and upper-case hex).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { Client } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { rigProftpd } from '../../../harness/rig.js';

describe('rig: proftpd', () => {
  const r = rigProftpd();

  async function connect(secure: boolean): Promise<Client> {
    const client = new Client(15_000);
    await client.access({
      host: r.host,
      port: r.port,
      user: r.user,
      password: r.password,
      secure,
      secureOptions: secure ? { ca: readFileSync(r.ca) } : undefined,
    });
    return client;
  }

  for (const mode of ['ftp', 'ftps'] as const) {
    it(`uploads over ${mode.toUpperCase()} into the shared home and reports SIZE`, async () => {
      const client = await connect(mode === 'ftps');
      try {
        expect(client.ftp.socket instanceof TLSSocket).toBe(mode === 'ftps');
        const name = `rig-proftpd-${mode}-${process.pid}-${Date.now()}.bin`;
        const body = randomBytes(300 * 1024);
        await client.uploadFrom(Readable.from([body]), name);
        expect(await client.size(name)).toBe(body.length);
        expect(readFileSync(join(r.root, name)).equals(body)).toBe(true);
        await client.remove(name);
      } finally {
        client.close();
      }
    });
  }

  it('offers HASH and XSHA256 and answers them as the FTP store expects', async () => {
    const client = await connect(false);
    try {
      const features = await client.features();
      expect(features.get('HASH')).toMatch(/(^|;)SHA-1\*;/);
      expect(features.get('HASH')).toMatch(/(^|;)SHA-256;/);
      expect(features.has('XSHA256')).toBe(true);
      const name = `rig-proftpd-hash-${process.pid}-${Date.now()}.bin`;
      const body = randomBytes(254);
      const hex = createHash('sha256').update(body).digest('hex');
      await client.uploadFrom(Readable.from([body]), name);
      expect((await client.send('OPTS HASH SHA-256')).message).toBe('200 SHA-256');
      const hash = await client.send(`HASH ${name}`);
      expect(hash.code).toBe(213);
      expect(hash.message.split('\n')).toEqual([
        '213-Computing SHA-256 digest',
        expect.stringMatching(new RegExp(`^213 SHA-256 0-\\d+ ${hex} ${name}$`)),
      ]);
      const x = await client.send(`XSHA256 ${name}`);
      expect(x.code).toBe(250);
      expect(x.message.split('\n').at(-1)).toBe(`250 ${hex.toUpperCase()}`);
      await client.remove(name);
    } finally {
      client.close();
    }
  });

  it('rejects FTPS when its self-signed certificate is not trusted', async () => {
    const client = new Client(15_000);
    try {
      await expect(client.access({ host: r.host, port: r.port, user: r.user, password: r.password, secure: true })).rejects.toThrow(
        /self[- ]signed/i,
      );
    } finally {
      client.close();
    }
  });
});
