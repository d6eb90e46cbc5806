// Target configurations pointing at the rig's vsftpd, proftpd and sshd, parsed through
// the real schema so defaults apply exactly as they do for config/nocturne.yaml.
import { targetSchema, type TargetConfig } from '../src/config/schema.js';
import { rig, rigProftpd } from './rig.js';

/** ftp/ftps: vsftpd; proftpd-ftp/proftpd-ftps: proftpd (HASH, MLSD); sftp: sshd. */
export type RigProtocol = 'ftp' | 'ftps' | 'proftpd-ftp' | 'proftpd-ftps' | 'sftp';

/** The env variable the targets read their FTP password from ({env: ...} secret). */
export const FTP_PASSWORD_ENV = 'NOCTURNE_TEST_UPLOAD_FTP_PASSWORD';

export function rigTarget(protocol: RigProtocol, overrides: Record<string, unknown> = {}): TargetConfig {
  const r = rig();
  if (protocol === 'sftp') {
    return targetSchema.parse({
      type: 'sftp',
      host: r.sftp.host,
      port: r.sftp.port,
      user: r.sftp.user,
      privateKey: { file: r.sftp.privateKeyPath },
      hostKeySha256: r.sftp.hostKeySha256,
      timeout: '10s',
      ...overrides,
    });
  }
  const server = protocol.startsWith('proftpd') ? rigProftpd() : r.ftp;
  const type = protocol.endsWith('ftps') ? 'ftps' : 'ftp';
  process.env[FTP_PASSWORD_ENV] = server.password;
  return targetSchema.parse({
    type,
    host: server.host,
    port: server.port,
    user: server.user,
    password: { env: FTP_PASSWORD_ENV },
    ...(type === 'ftps' ? { ca: server.ca } : { insecure: true }),
    timeout: '10s',
    ...overrides,
  });
}

/** The local directory a rig target's remote path lands in (all servers log into the same home). */
export function rigRoot(): string {
  return rig().ftp.root;
}
