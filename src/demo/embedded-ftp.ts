import { mkdir } from 'node:fs/promises';
import { FtpSrv } from 'ftp-srv';
import pino from 'pino';
import { portTaken } from './cannot-start.js';

export interface EmbeddedFtp {
  stop(): Promise<void>;
}

/**
 * A real FTP server on loopback (ftp-srv), so the demo's upload stage goes through its
 * production code path: basic-ftp, temporary names, SIZE verification, rename.
 */
export async function startEmbeddedFtp(options: { root: string; port: number; user: string; password: string }): Promise<EmbeddedFtp> {
  await mkdir(options.root, { recursive: true });
  const server = withoutSignalHandlers(
    () =>
      new FtpSrv({
        url: `ftp://127.0.0.1:${options.port}`,
        pasv_url: '127.0.0.1',
        pasv_min: options.port + 1,
        pasv_max: options.port + 50,
        anonymous: false,
        greeting: 'nocturne demo archive',
        log: pino({ level: 'silent' }) as never,
      }),
  );
  server.on('login', ({ username, password }, resolve, reject) => {
    if (username === options.user && password === options.password) resolve({ root: options.root });
    else reject(new Error('invalid user or password'));
  });
  try {
    await server.listen();
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') throw portTaken('FTP archive', options.port, err);
    throw err;
  }
  return {
    async stop() {
      // ftp-srv's types leave close() untyped; it resolves once its sockets are closed.
      await (server.close() as Promise<unknown>);
    },
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

/**
 * ftp-srv's constructor makes SIGINT/SIGTERM/SIGQUIT close it and call process.exit(0):
 * Ctrl-C would end the demo there, before the kept daemon's orderly stop is done and
 * before the database is stopped and its files removed, and with 0 whatever happened.
 * Only the application owns signal handlers; the demo stops the server in its `finally`.
 */
function withoutSignalHandlers<T>(make: () => T): T {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const made = make();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
  }
  return made;
}
