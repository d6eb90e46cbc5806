/**
 * What one upload case costs in round trips, for `npm run bench -- upload`: PostgreSQL
 * commits (every statement the ledger sends outside a transaction is one), FTP commands
 * and SFTP requests, and the peak RSS of the process while the case runs. The protocol
 * counts patch the libraries' send paths in this process only: a diagnostic, not code
 * the daemon runs.
 */
import { createRequire } from 'node:module';
import { FTPContext } from 'basic-ftp';
import type { Db } from '../src/db/database.js';

export interface Counts {
  commits: number;
  /** FTP commands, or SFTP requests other than the data writes. */
  commands: number;
  /** FTP data connections (EPSV/PASV), or SFTP WRITE requests. */
  data: number;
}

export const counts: Counts = { commits: 0, commands: 0, data: 0 };

export function resetCounts(): void {
  counts.commits = 0;
  counts.commands = 0;
  counts.data = 0;
}

const STATEMENTS = new Set(['any', 'one', 'oneOrNone', 'many', 'manyOrNone', 'none', 'result', 'query', 'multi', 'tx', 'func', 'proc']);

/** `db` with every statement (or transaction) it runs counted as one commit. */
export function countingDb(db: Db): Db {
  return new Proxy(db, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !STATEMENTS.has(key) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.commits += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Counts every FTP command and SFTP request sent from now on (once per process). */
export function countProtocolCommands(): void {
  const ftp = FTPContext.prototype as { send: (this: FTPContext, command: string) => void };
  const send = ftp.send;
  ftp.send = function (this: FTPContext, command: string) {
    counts.commands += 1;
    if (/^(EPSV|PASV)/.test(command)) counts.data += 1;
    send.call(this, command);
  };
  const require = createRequire(import.meta.url);
  const { SFTP } = require('ssh2/lib/protocol/SFTP.js') as { SFTP: { prototype: Record<string, unknown> } };
  const requests = [
    'open',
    'close',
    'read',
    'fstat',
    'stat',
    'lstat',
    'unlink',
    'rename',
    'mkdir',
    'rmdir',
    'opendir',
    'readdir',
    'setstat',
    'fsetstat',
    'realpath',
    'ext_openssh_rename',
    'ext_openssh_fsync',
  ];
  for (const name of [...requests, 'write']) {
    const original = SFTP.prototype[name] as (...a: unknown[]) => unknown;
    SFTP.prototype[name] = function (this: unknown, ...args: unknown[]) {
      if (name === 'write') counts.data += 1;
      else counts.commands += 1;
      return original.apply(this, args);
    };
  }
}

/** Samples the RSS while `work` runs; returns its result and the peak in MiB. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakMiB: peak / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}
