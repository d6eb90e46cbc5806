import type { Readable } from 'node:stream';
import type { PassedOver } from '../files/walk-files.js';

/** An entry of a remote listing. Names come from the server: validate before use. */
export interface RemoteEntry {
  /** Full remote path (POSIX). */
  path: string;
  sizeBytes: number;
  isDirectory: boolean;
  /**
   * Modification time as the listing gives it (to the second): SFTP and local, FTP only
   * with MLSD (else see RemoteSession.modifiedAt). With path and size it lets ingest skip
   * files it has seen.
   */
  modifiedAt: Date | null;
}

/** A remote listing: the entries, and those whose names no path of ours can carry. */
export interface RemoteListing {
  entries: RemoteEntry[];
  passedOver: PassedOver[];
}

/**
 * One connection to an archive target. Implementations (FTP/FTPS, SFTP, local directory)
 * translate library errors into NocturneError (TRANSFER_*), put their own deadline around
 * every operation, and are discarded after any error (a fresh session is opened instead).
 */
export interface RemoteSession {
  /** Which verification methods this server offers beyond size (e.g. 'sha256' from FEAT HASH). */
  readonly serverHashes: readonly string[];
  /**
   * Operations may overlap (SFTP multiplexes requests on one channel); otherwise callers
   * sharing the session run them one at a time (FTP: one command at a time).
   */
  readonly concurrent?: boolean;
  ensureDir(dir: string): Promise<void>;
  /**
   * Sends a local file. With `sha256`, returns the SHA-256 of the bytes sent (hex),
   * computed while they were read (one local read for both where the protocol allows);
   * otherwise null.
   */
  put(localPath: string, remotePath: string, options?: PutOptions): Promise<string | null>;
  rename(from: string, to: string): Promise<void>;
  /** null when the path does not exist. */
  size(path: string): Promise<number | null>;
  remove(path: string): Promise<void>;
  /** Lists a directory (recursively when asked); a missing directory lists as empty. */
  list(dir: string, recursive: boolean): Promise<RemoteListing>;
  /**
   * A file's modification time where its listing gave none, asked file by file (FTP
   * without MLSD: MDTM); null when the server cannot tell. Absent where listings do.
   */
  modifiedAt?(path: string): Promise<Date | null>;
  /** Streams a remote file's bytes (for sha256 read-back and for ingestion). */
  read(path: string): Promise<Readable>;
  /** Server-side hash when offered (FTP HASH/XSHA256), else null. */
  serverHash(path: string, algorithm: 'sha256'): Promise<string | null>;
  close(): Promise<void>;
}

export interface PutOptions {
  sha256?: boolean;
}

export interface RemoteStore {
  /** Target name, for messages. */
  readonly name: string;
  open(signal?: AbortSignal): Promise<RemoteSession>;
}
