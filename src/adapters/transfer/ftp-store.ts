import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { FTPError, type FileInfo } from 'basic-ftp';
import { NocturneError } from '../../core/errors.js';
import { resolveSecret } from '../../config/secrets.js';
import type { ResolvedTarget } from '../../config/types.js';
import { fileCallsByDirectory } from '../files/file-calls.js';
import { FtpClient, type ServerHabits } from './ftp-client.js';
import { hasFeature, sha256CommandFrom, parseSha256Reply, type FtpHashCommand } from './ftp-hash.js';
import { openLocalSource, readLocalBytes } from './local-source.js';
import type { PutOptions, RemoteListing, RemoteSession, RemoteStore } from './remote-store.js';
import { resolveRemote } from './remote-paths.js';
import { makeRemoteDirs } from './remote-mkdirs.js';
import { ListRefused, walkRemote } from './remote-walk.js';
import { SessionGuard } from './session-guard.js';

export type FtpTargetConfig = Extract<ResolvedTarget, { type: 'ftp' | 'ftps' }>;

/**
 * FTP and explicit FTPS (AUTH TLS) with basic-ftp: one client per session, since FTP
 * runs one command at a time. basic-ftp 6 resumes the control connection's TLS session
 * on data connections, which vsftpd's default require_ssl_reuse demands.
 */
export class FtpStore implements RemoteStore {
  readonly name: string;
  readonly #config: FtpTargetConfig;
  readonly #habits: ServerHabits = { epsvWithStor: true };

  constructor(name: string, config: FtpTargetConfig) {
    if (config.type === 'ftp' && !config.insecure) {
      throw new NocturneError(
        'CONFIG_INVALID',
        `target "${name}": plain FTP sends the password in clear; use type: ftps, or set insecure: true`,
      );
    }
    this.name = name;
    this.#config = config;
  }

  async open(signal?: AbortSignal): Promise<RemoteSession> {
    const config = this.#config;
    const { timeoutMs } = config;
    const password = await resolveSecret(config.password);
    const ca = config.type === 'ftps' && config.ca !== undefined ? await readCa(this.name, config.ca) : undefined;
    const client = new FtpClient(timeoutMs, this.#habits);
    const guard = new SessionGuard({ target: this.name, timeoutMs, signal, destroy: () => client.close() });
    await guard.run('connect', `${config.host}:${config.port}`, () =>
      client.access({
        host: config.host,
        port: config.port,
        user: config.user,
        password,
        secure: config.type === 'ftps',
        ...(config.type === 'ftps' ? { secureOptions: ca === undefined ? {} : { ca } } : {}),
      }),
    );
    const home = await guard.run('pwd', undefined, () => client.pwd());
    const features = await guard.run('feat', undefined, () => client.features());
    return new FtpSession(client, guard, home, sha256CommandFrom(features), hasFeature(features, 'MDTM'));
  }
}

async function readCa(target: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new NocturneError('CONFIG_INVALID', `target "${target}": cannot read ca file ${file}`, { cause: err });
  }
}

const NOT_FOUND = 550;

class FtpSession implements RemoteSession {
  readonly serverHashes: readonly string[];
  readonly #client: FtpClient;
  readonly #guard: SessionGuard;
  readonly #home: string;
  readonly #hash: FtpHashCommand | null;
  readonly #dirs = new Set<string>();
  readonly #mdtm: boolean;
  /** A session lives within one run (FileCalls). */
  readonly #callsFor = fileCallsByDirectory();
  #hashSelected = false;

  constructor(client: FtpClient, guard: SessionGuard, home: string, hash: FtpHashCommand | null, mdtm: boolean) {
    this.#client = client;
    this.#guard = guard;
    this.#home = home;
    this.#hash = hash;
    this.#mdtm = mdtm;
    this.serverHashes = hash ? ['sha256'] : [];
  }

  async ensureDir(dir: string): Promise<void> {
    const abs = this.#abs(dir);
    if (this.#dirs.has(abs)) return;
    await this.#guard.run('mkdir', abs, () =>
      makeRemoteDirs(abs, {
        isDir: (dir) =>
          this.#client.cd(dir).then(
            () => true,
            (err: unknown) => {
              if (err instanceof FTPError && err.code === NOT_FOUND) return false;
              throw err;
            },
          ),
        mkdir: (dir) => this.#client.send(`MKD ${dir}`),
      }),
    );
    this.#dirs.add(abs);
  }

  async put(localPath: string, remotePath: string, options: PutOptions = {}): Promise<string | null> {
    const abs = this.#abs(remotePath);
    return this.#guard.run('put', abs, async (touch) => {
      const small = await readLocalBytes(localPath, { sha256: options.sha256 === true, calls: await this.#callsFor(localPath) });
      if (small !== null) {
        this.#client.forgetLateReply();
        try {
          await this.#client.storeBytes(abs, small.bytes, touch);
        } catch (err) {
          throw await this.#failedStore(err, abs);
        }
        small.recycle();
        return small.sha256;
      }
      const source = await openLocalSource(localPath, { sha256: options.sha256 === true, sink: () => this.#client.dataSocket });
      this.#client.forgetLateReply();
      this.#client.trackProgress(() => touch());
      try {
        await this.#client.uploadFrom(source.stream, abs);
        // The server confirmed it and the data connection wrote every chunk.
        source.recycle();
      } catch (err) {
        throw await this.#failedStore(err, abs);
      } finally {
        this.#client.trackProgress();
        await source.close();
      }
      // The partial is left: the next attempt removes it before it uploads again.
      source.checkComplete();
      return source.sha256();
    });
  }

  /**
   * Why a STOR failed, in the server's words when it gave any (its reply may follow the
   * broken data connection), after removing what the failed upload left at `abs`: a
   * partial file is never of use, and on a full disk it holds the space others need.
   */
  async #failedStore(err: unknown, abs: string): Promise<unknown> {
    const reply = err instanceof FTPError ? null : await this.#client.finalReply();
    const failure = reply !== null && reply.code >= 400 ? new FTPError(reply) : err;
    if (this.#client.closed) return failure;
    await this.#removeFile(abs).catch((why: unknown) => {
      if (failure instanceof Error) failure.message += ` (the partial file is left: ${why instanceof Error ? why.message : String(why)})`;
    });
    return failure;
  }

  async rename(from: string, to: string): Promise<void> {
    const [absFrom, absTo] = [this.#abs(from), this.#abs(to)];
    await this.#guard.run('rename', `${absFrom} -> ${absTo}`, () => this.#client.renameAtOnce(absFrom, absTo));
  }

  async size(remotePath: string): Promise<number | null> {
    const abs = this.#abs(remotePath);
    return this.#guard.run('size', abs, () => this.#client.size(abs).catch(nullIfMissing));
  }

  async remove(remotePath: string): Promise<void> {
    const abs = this.#abs(remotePath);
    await this.#guard.run('remove', abs, () => this.#removeFile(abs));
  }

  async #removeFile(abs: string): Promise<void> {
    const removed = await this.#client.remove(abs).catch(nullIfMissing);
    // 550 also means "permission denied": only a file that is really gone is fine.
    if (removed === null && (await this.#client.size(abs).catch(nullIfMissing)) !== null) {
      throw new Error(`the server refused to delete ${abs}`);
    }
  }

  async list(dir: string, recursive: boolean): Promise<RemoteListing> {
    const root = this.#abs(dir);
    return walkRemote(root, recursive, async (at) => {
      const infos = await this.#guard.run('list', at, () =>
        this.#client.list(at).catch((err: unknown): FileInfo[] | ListRefused => {
          // 550 says "no such directory" and "not allowed" alike: a missing source is an
          // empty one, a directory its parent listed is one the server will not list.
          if (isMissing(err)) return at === root ? [] : new ListRefused((err as Error).message);
          throw err;
        }),
      );
      if (infos instanceof ListRefused) return infos;
      // vsftpd, refused a directory, lists it the way `ls -d` would: one directory entry,
      // named as the directory itself. (A directory holding nothing but one of its own name
      // is passed over too, and said so.)
      const [only] = infos;
      if (at !== root && infos.length === 1 && only!.isDirectory && only!.name === path.posix.basename(at)) {
        return new ListRefused('it answers with the directory itself');
      }
      return (
        infos
          .filter((info) => info.isDirectory || info.isFile || info.isSymbolicLink)
          // basic-ftp parses a time only from MLSD; LIST's "Nov 24 19:37" is too coarse to trust: see modifiedAt().
          .map((info) => ({
            name: info.name,
            sizeBytes: info.size,
            isDirectory: info.isDirectory,
            modifiedAt: info.modifiedAt ?? null,
            isLink: info.isSymbolicLink,
          }))
      );
    });
  }

  /** MDTM, to the second (UTC, as RFC 3659 says); null when the server has no MDTM or refuses it for this file. */
  async modifiedAt(remotePath: string): Promise<Date | null> {
    if (!this.#mdtm) return null;
    const abs = this.#abs(remotePath);
    const at = await this.#guard.run('mdtm', abs, () => this.#client.lastMod(abs).catch(unlessUnanswerable));
    return at === null || Number.isNaN(at.getTime()) ? null : at;
  }

  async read(remotePath: string): Promise<Readable> {
    const abs = this.#abs(remotePath);
    return this.#guard.stream('read', abs, (sink) => this.#client.downloadTo(sink, abs));
  }

  async serverHash(remotePath: string, algorithm: 'sha256'): Promise<string | null> {
    const command = this.#hash;
    if (command === null || algorithm !== 'sha256') return null;
    const abs = this.#abs(remotePath);
    return this.#guard.run('hash', abs, async () => {
      if (command.kind === 'HASH' && !this.#hashSelected) {
        await this.#client.send('OPTS HASH SHA-256');
        this.#hashSelected = true;
      }
      const reply = await this.#client.send(`${command.kind} ${abs}`);
      return parseSha256Reply(command, reply.message);
    });
  }

  async close(): Promise<void> {
    await this.#guard.close(async () => {
      await this.#client.send('QUIT');
      this.#client.close();
    });
  }

  #abs(remotePath: string): string {
    return resolveRemote(this.#home, remotePath);
  }
}

function isMissing(err: unknown): boolean {
  return err instanceof FTPError && (err.code === NOT_FOUND || err.code === 450);
}

/** MDTM refused by the server (not implemented, file gone or busy...) gives no time; a broken connection still fails. */
function unlessUnanswerable(err: unknown): null {
  if (err instanceof FTPError) return null;
  throw err;
}

function nullIfMissing(err: unknown): null {
  if (err instanceof FTPError && err.code === NOT_FOUND) return null;
  throw err;
}
