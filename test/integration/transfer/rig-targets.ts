// Target configurations pointing at the rig's vsftpd and sshd, parsed through the real
// schema so defaults apply exactly as they do for config/nocturne.yaml.
import { targetSchema, type TargetConfig } from '../../../src/config/schema.js';
import { rig } from '../../helpers/rig.js';

export type RigProtocol = 'ftp' | 'ftps' | 'sftp';

/** The env variable the targets read their FTP password from ({env: ...} secret). */
export const FTP_PASSWORD_ENV = 'NOCTURNE_TEST_UPLOAD_FTP_PASSWORD';

export function rigTarget(protocol: RigProtocol, overrides: Record<string, unknown> = {}): TargetConfig {
  const r = rig();
  process.env[FTP_PASSWORD_ENV] = r.ftp.password;
  const raw =
    protocol === 'sftp'
      ? {
          type: 'sftp',
          host: r.sftp.host,
          port: r.sftp.port,
          user: r.sftp.user,
          privateKey: { file: r.sftp.privateKeyPath },
          hostKeySha256: r.sftp.hostKeySha256,
          timeout: '10s',
        }
      : {
          type: protocol,
          host: r.ftp.host,
          port: r.ftp.port,
          user: r.ftp.user,
          password: { env: FTP_PASSWORD_ENV },
          ...(protocol === 'ftps' ? { ca: r.ftp.ca } : { insecure: true }),
          timeout: '10s',
        };
  return targetSchema.parse({ ...raw, ...overrides });
}

/** The local directory a rig target's remote path lands in (both servers log into the same home). */
export function rigRoot(): string {
  return rig().ftp.root;
}
