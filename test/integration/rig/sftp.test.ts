// Smoke test of the rig's sshd: SFTP upload with key auth and the host key
// checked against the pinned SHA256 fingerprint.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { describe, expect, it } from 'vitest';
import { rig } from '../../../harness/rig.js';

/** OpenSSH's form: `SHA256:` + base64 (no padding) of sha256(host key blob). */
function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

describe('rig: sshd (SFTP)', () => {
  const r = rig();
  const base = {
    host: r.sftp.host,
    port: r.sftp.port,
    username: r.sftp.user,
    privateKey: readFileSync(r.sftp.privateKeyPath),
    readyTimeout: 10_000,
  };

  it('puts a file with the pinned host key', async () => {
    const sftp = new SftpClient('rig-smoke');
    let seen: string | undefined;
    await sftp.connect({
      ...base,
      hostVerifier: (key: Buffer): boolean => {
        seen = fingerprint(key);
        return seen === r.sftp.hostKeySha256;
      },
    });
    try {
      expect(seen).toBe(r.sftp.hostKeySha256);
      const name = `rig-smoke-sftp-${process.pid}-${Date.now()}.bin`;
      const body = randomBytes(300 * 1024);
      await sftp.put(body, name);
      const st = await sftp.stat(name);
      expect(st.size).toBe(body.length);
      // Relative paths resolve in the user's home, the rig's SFTP root.
      expect(await sftp.cwd()).toBe(r.sftp.root);
      expect(readFileSync(join(r.sftp.root, name)).equals(body)).toBe(true);
      await sftp.delete(name);
    } finally {
      await sftp.end();
    }
  });

  it('refuses a server whose host key does not match the pinned fingerprint', async () => {
    const sftp = new SftpClient('rig-smoke-wrong-key');
    const wrong = `SHA256:${'A'.repeat(43)}`;
    let seen: string | undefined;
    await expect(
      sftp.connect({
        ...base,
        hostVerifier: (key: Buffer): boolean => {
          seen = fingerprint(key);
          return seen === wrong;
        },
      }),
    ).rejects.toThrow(/verif|denied/i);
    // The verifier ran (so the refusal is the pin's doing, not a network error).
    expect(seen).toBe(r.sftp.hostKeySha256);
    await sftp.end().catch(() => undefined);
  });
});
