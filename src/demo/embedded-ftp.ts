import { mkdir } from 'node:fs/promises';
import { FtpSrv } from 'ftp-srv';
import pino from 'pino';

export interface EmbeddedFtp {
  stop(): Promise<void>;
}

/**
 * A real FTP server on loopback (ftp-srv), so the demo's upload stage goes through its
 * production code path: basic-ftp, temporary names, SIZE verification, rename.
 */
export async function startEmbeddedFtp(options: {
  root: string;
  port: number;
  user: string;
  password: string;
}): Promise<EmbeddedFtp> {
  await mkdir(options.root, { recursive: true });
  const server = new FtpSrv({
    url: `ftp://127.0.0.1:${options.port}`,
    pasv_url: '127.0.0.1',
    pasv_min: options.port + 1,
    pasv_max: options.port + 50,
    anonymous: false,
    greeting: 'nocturne demo archive',
    log: pino({ level: 'silent' }) as never,
  });
  server.on('login', ({ username, password }, resolve, reject) => {
    if (username === options.user && password === options.password) resolve({ root: options.root });
    else reject(new Error('invalid user or password'));
  });
  await server.listen();
  return { stop: () => server.close() };
}
