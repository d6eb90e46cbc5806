/**
 * A real HTTP server receiving nocturne's webhooks, as a site's receiver would: it checks
 * the HMAC-SHA256 signature of each body against the shared secret, independently of
 * nocturne's code, and answers what the test tells it to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  /** The signature header matched HMAC-SHA256(secret, "<timestamp>.<body>"). */
  signed: boolean;
  /** What the receiver answered. */
  status: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** The status to answer the n-th request (0-based) with; 200 by default. */
  answer: (n: number) => number = () => 200;
  readonly #server: Server;
  readonly #secret: string;
  #url = '';

  constructor(secret: string) {
    this.#secret = secret;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = this.answer(this.received.length);
        this.received.push({
          headers: req.headers,
          body,
          json: JSON.parse(body) as Record<string, unknown>,
          signed: this.#verify(req.headers, body),
          status,
        });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as { port: number };
    this.#url = `http://127.0.0.1:${port}/hooks/nocturne`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The bodies accepted (2xx), as JSON. */
  accepted(): Record<string, unknown>[] {
    return this.received.filter((r) => r.status < 300).map((r) => r.json);
  }

  async waitFor(count: number, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.received.length} of ${count} webhook request(s) within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.received;
  }

  #verify(headers: IncomingHttpHeaders, body: string): boolean {
    const timestamp = headers['x-nocturne-timestamp'];
    const signature = headers['x-nocturne-signature'];
    if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
    const expected = Buffer.from(`sha256=${createHmac('sha256', this.#secret).update(`${timestamp}.${body}`).digest('hex')}`);
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
