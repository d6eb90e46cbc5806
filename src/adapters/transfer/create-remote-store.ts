import type { ResolvedTarget } from '../../config/types.js';
import { FtpStore } from './ftp-store.js';
import { LocalStore } from './local-store.js';
import type { RemoteStore } from './remote-store.js';
import { SftpStore } from './sftp-store.js';

/** The RemoteStore for a named target of config/nocturne.yaml. Opens no connection. */
export function createRemoteStore(name: string, config: ResolvedTarget): RemoteStore {
  switch (config.type) {
    case 'ftp':
    case 'ftps':
      return new FtpStore(name, config);
    case 'sftp':
      return new SftpStore(name, config);
    case 'local':
      return new LocalStore(name, config);
  }
}

/** How many connections a target allows at once (a local directory: as many as FTP's default). */
export function connectionsOf(config: ResolvedTarget): number {
  return config.type === 'local' ? 4 : config.connections;
}
