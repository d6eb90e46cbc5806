import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NocturneError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { HttpRequest, HttpResponse } from './router.js';
import { SECURITY_HEADERS } from './security.js';

export interface HttpServer {
  /** The bound address, e.g. 127.0.0.1:9464 (the real port when asked for port 0). */
  readonly address: string;
  close(): Promise<void>;
}

/** "127.0.0.1:9464" or "[::1]:9464" → host and port (the schema has checked the shape). */
export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}

/** Server-Sent Events streams: a comment this often keeps proxies from closing an idle one. */
const STREAM_KEEPALIVE_MS = 15_000;

/**
 * node:http around a router. Request bodies are not read (no endpoint takes one), so a
 * client cannot make the daemon buffer anything. Every answer carries the security
 * headers (security.ts), errors included.
 */
export async function startHttpServer(
  listen: string,
  route: (req: HttpRequest) => Promise<HttpResponse>,
  logger: Logger,
): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    req.resume();
    route({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }).then(
      (answer) => {
        res.writeHead(answer.status, {
          ...SECURITY_HEADERS,
          'content-type': answer.contentType,
          'cache-control': 'no-store',
          ...answer.headers,
        });
        // HEAD is answered as GET (router.ts), its headers only: no body, no stream.
        if (req.method === 'HEAD' || !answer.stream) {
          res.end(req.method === 'HEAD' ? undefined : answer.body);
          return;
        }
        res.write(answer.body);
        const closed = new AbortController();
        const keepalive = setInterval(() => res.write(': keepalive\n\n'), STREAM_KEEPALIVE_MS);
        res.on('close', () => {
          clearInterval(keepalive);
          closed.abort();
        });
        answer.stream((chunk) => res.write(chunk), closed.signal);
      },
      (err: unknown) => {
        logger.error({ err, url: req.url }, 'http handler failed');
        res.writeHead(500, SECURITY_HEADERS).end();
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new NocturneError('INTERNAL', `http.listen ${listen}: ${err.code ?? err.message}`, { cause: err })),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive clients (a Prometheus scraper) and event streams must not hold the shutdown.
        server.closeAllConnections();
      }),
  };
}
