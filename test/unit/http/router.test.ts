import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { createAuthenticator, hashPassword, PROXY_SECRET_HEADER, verifyPassword } from '../../../src/http/auth.js';
import { createRouter, type DaemonApi, type HttpRequest, type ReloadResult } from '../../../src/http/router.js';
import { parseListen } from '../../../src/http/server.js';
import { openApiProblems } from '../../integration/monitor/openapi-check.js';

function api(overrides: Partial<DaemonApi> = {}): DaemonApi & { queries: unknown[]; reloads: number } {
  const fake = {
    queries: [] as unknown[],
    reloads: 0,
    readiness: async () => ({ ready: true }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'nocturne_up 1\n' }),
    pipelines: async () => ({ state: 'running', host: { stages: [] }, stages: [] }),
    runs: async (q: unknown) => {
      fake.queries.push(q);
      return [];
    },
    reload: async (): Promise<ReloadResult> => {
      fake.reloads++;
      return { ok: true, added: ['eit/run'], removed: [], changed: [], restartNeeded: [] };
    },
    ...overrides,
  };
  return fake;
}

const TOKEN = 'a'.repeat(64);
const local = { host: '127.0.0.1:9464' };
const get = (url: string, headers: Record<string, string> = local): HttpRequest => ({ method: 'GET', url, headers });
const post = (url: string, headers: Record<string, string> = {}): HttpRequest => ({
  method: 'POST',
  url,
  headers: { ...local, ...headers },
});
const bearer = { authorization: `Bearer ${TOKEN}` };
const body = (answer: { body: string | Buffer }) => JSON.parse(String(answer.body)) as unknown;

describe('HTTP routes', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    const route = createRouter(api());
    expect(await route(get('/healthz'))).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await route(get('/readyz'))).toMatchObject({ status: 200 });
    expect(await route(get('/metrics'))).toEqual({ status: 200, contentType: 'text/plain; version=0.0.4', body: 'nocturne_up 1\n' });
  });

  it('says 503 and why when not ready', async () => {
    const route = createRouter(api({ readiness: async () => ({ ready: false, reason: 'daemon is stopping' }) }));
    expect(await route(get('/readyz'))).toMatchObject({ status: 503, body: 'not ready: daemon is stopping\n' });
  });

  it('passes the /api/runs query on, and refuses a bad limit', async () => {
    const fake = api();
    const route = createRouter(fake);
    expect((await route(get('/api/runs?pipeline=eit&limit=5'))).status).toBe(200);
    expect((await route(get('/api/runs'))).status).toBe(200);
    expect(fake.queries).toEqual([{ pipeline: 'eit', limit: 5 }, { limit: 50 }]);
    const bad = await route(get('/api/runs?limit=lots'));
    expect([bad.status, body(bad)]).toEqual([400, { error: 'limit must be an integer from 1 to 1000, not "lots"' }]);
    expect(openApiProblems('get', '/api/runs', 400, body(bad))).toEqual([]);
  });

  it('reloads on POST with the local token: 200 when applied, 422 with the issues when refused', async () => {
    const auth = createAuthenticator(undefined, TOKEN);
    const refused: ReloadResult = { ok: false, message: 'invalid', issues: [{ file: 'a.yaml', line: 1, col: 1, message: 'bad' }] };
    const applied = await createRouter(api(), { auth })(post('/api/reload', bearer));
    expect(applied.status).toBe(200);
    expect(openApiProblems('post', '/api/reload', 200, body(applied))).toEqual([]);
    const answer = await createRouter(api({ reload: async () => refused }), { auth })(post('/api/reload', bearer));
    expect([answer.status, body(answer)]).toEqual([422, refused]);
    expect(openApiProblems('post', '/api/reload', 422, body(answer))).toEqual([]);
    const stopping: ReloadResult = { ok: false, message: 'the daemon is stopping', issues: [], unavailable: true };
    const notTaken = await createRouter(api({ reload: async () => stopping }), { auth })(post('/api/reload', bearer));
    expect([notTaken.status, body(notTaken)]).toEqual([503, stopping]);
    expect(openApiProblems('post', '/api/reload', 503, body(notTaken))).toEqual([]);
    const wrong = await createRouter(api(), { auth })(get('/api/reload', { ...local, ...bearer }));
    expect([wrong.status, body(wrong)]).toEqual([405, { error: 'GET not allowed on /api/reload; use POST' }]);
  });

  it('404 for unknown paths; 503 naming the cause when the database fails', async () => {
    const route = createRouter(
      api({ pipelines: async () => Promise.reject(new NocturneError('DB_FAILED', 'run history: connection refused')) }),
    );
    expect((await route(get('/nope'))).status).toBe(404);
    const failed = await route(get('/api/pipelines'));
    expect([failed.status, body(failed)]).toEqual([503, { error: 'run history: connection refused', code: 'DB_FAILED' }]);
    expect(openApiProblems('get', '/api/pipelines', 503, body(failed))).toEqual([]);
    // pg's own errors, unwrapped: the server out of reach, the database renamed away.
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' });
    const gone = Object.assign(new Error('database "nocturne" does not exist'), { code: '3D000' });
    for (const err of [refused, gone]) {
      const answer = await createRouter(api({ pipelines: async () => Promise.reject(err) }))(get('/api/pipelines'));
      expect([answer.status, (body(answer) as { code: string }).code]).toEqual([503, 'DB_FAILED']);
    }
  });

  it('routes path parameters, decoded', async () => {
    const seen: unknown[] = [];
    const route = createRouter(api(), {
      routes: {
        '/api/things/:id': { GET: async (_q, params) => (seen.push(params), { status: 200, contentType: 'text/plain', body: '' }) },
      },
    });
    await route(get('/api/things/a%20b'));
    expect(seen).toEqual([{ id: 'a b' }]);
    expect((await route(get('/api/things/a/b'))).status).toBe(404);
  });

  it('refuses a malformed percent-escape and control characters with 400, before any handler', async () => {
    const fake = api();
    const seen: unknown[] = [];
    const route = createRouter(fake, {
      routes: {
        '/api/things/:id': { GET: async (_q, params) => (seen.push(params), { status: 200, contentType: 'text/plain', body: '' }) },
      },
    });
    const malformed = await route(get('/api/things/%E0%A4%A'));
    expect([malformed.status, body(malformed)]).toEqual([400, { error: 'the path\'s id "%E0%A4%A" has a malformed percent-escape' }]);
    expect((await route(get('/api/things/%ZZ'))).status).toBe(400);
    expect((await route(get('/api/things/a%00b'))).status).toBe(400);
    const nul = await route(get('/api/runs?pipeline=%00'));
    expect([nul.status, body(nul)]).toEqual([400, { error: 'parameter "pipeline" holds a control character' }]);
    expect(openApiProblems('get', '/api/runs', 400, body(nul))).toEqual([]);
    expect((await route(get('/api/runs?x%0A=1'))).status).toBe(400);
    expect([seen, fake.queries]).toEqual([[], []]);
  });

  it('answers HEAD wherever GET is answered; a 405 says what is allowed in Allow', async () => {
    const route = createRouter(api(), { auth: createAuthenticator(undefined, TOKEN) });
    const head = (url: string): HttpRequest => ({ method: 'HEAD', url, headers: local });
    for (const url of ['/healthz', '/readyz', '/metrics', '/api/runs']) expect((await route(head(url))).status, url).toBe(200);
    const onReload = await route(head('/api/reload'));
    expect([onReload.status, onReload.headers]).toEqual([405, { allow: 'POST' }]);
    const onHealth = await route(post('/healthz', bearer));
    expect([onHealth.status, onHealth.headers, body(onHealth)]).toEqual([
      405,
      { allow: 'GET, HEAD' },
      { error: 'POST not allowed on /healthz; use GET, HEAD' },
    ]);
  });

  it('serves its OpenAPI 3.1 description', async () => {
    const answer = await createRouter(api())(get('/api/openapi.json'));
    expect(body(answer)).toMatchObject({ openapi: '3.1.0' });
  });

  it('parses host:port', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
  });
});

describe('who may ask what', () => {
  it('answers only requests that name this daemon in Host (DNS rebinding)', async () => {
    const route = createRouter(api(), { publicNames: ['monitor.obs.example'] });
    for (const host of ['127.0.0.1:9464', 'localhost:1234', '[::1]:9464', 'monitor.obs.example', 'MONITOR.obs.example']) {
      expect((await route(get('/api/pipelines', { host }))).status, host).toBe(200);
    }
    for (const host of ['evil.example:9464', 'monitor.obs.example.evil.example', 'monitor.obs.example:8080', '']) {
      expect((await route(get('/api/pipelines', { host }))).status, host).toBe(421);
    }
    expect((await route({ method: 'GET', url: '/healthz' })).status).toBe(421);
  });

  it('refuses a POST without proof of who sends it, even on loopback', async () => {
    const fake = api();
    const route = createRouter(fake, { auth: createAuthenticator(undefined, TOKEN) });
    const refused = await route(post('/api/reload'));
    expect(refused.status).toBe(401);
    expect(openApiProblems('post', '/api/reload', 401, body(refused))).toEqual([]);
    expect((await route(post('/api/reload', { authorization: `Bearer ${'b'.repeat(64)}` }))).status).toBe(401);
    expect(fake.reloads).toBe(0);
    // Reading stays open on loopback without http.auth.
    expect((await route(get('/api/pipelines'))).status).toBe(200);
  });

  it('refuses a POST from another origin, token or not', async () => {
    const fake = api();
    const route = createRouter(fake, { auth: createAuthenticator(undefined, TOKEN) });
    const crossSite = await route(post('/api/reload', { ...bearer, origin: 'http://evil.example' }));
    expect(crossSite.status).toBe(403);
    expect(openApiProblems('post', '/api/reload', 403, body(crossSite))).toEqual([]);
    expect((await route(post('/api/reload', { ...bearer, 'sec-fetch-site': 'cross-site' }))).status).toBe(403);
    expect(fake.reloads).toBe(0);
    expect((await route(post('/api/reload', { ...bearer, origin: 'http://127.0.0.1:9464', 'sec-fetch-site': 'same-origin' }))).status).toBe(
      200,
    );
    expect(fake.reloads).toBe(1);
  });

  it('with a user and a scrypt hash, asks every request but /healthz and /readyz for the password', async () => {
    const hash = await hashPassword('night-sky', 2 ** 10);
    const auth = createAuthenticator({ user: 'observer', passwordHash: { env: 'X' } }, TOKEN, async () => hash);
    const route = createRouter(api(), { auth });
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    const anonymous = await route(get('/api/pipelines'));
    expect([anonymous.status, anonymous.headers?.['www-authenticate']]).toEqual([401, 'Basic realm="nocturne", charset="UTF-8"']);
    expect((await route(get('/api/pipelines', { ...local, ...basic('observer', 'wrong') }))).status).toBe(401);
    expect((await route(get('/api/pipelines', { ...local, ...basic('intruder', 'night-sky') }))).status).toBe(401);
    expect((await route(get('/api/pipelines', { ...local, ...basic('observer', 'night-sky') }))).status).toBe(200);
    expect((await route(get('/healthz'))).status).toBe(200);
    expect((await route(get('/readyz'))).status).toBe(200);
  });

  it('takes the authentication scheme in any case (RFC 7235)', async () => {
    const hash = await hashPassword('night-sky', 2 ** 10);
    const auth = createAuthenticator({ user: 'observer', passwordHash: { env: 'X' } }, TOKEN, async () => hash);
    const route = createRouter(api(), { auth });
    const credentials = Buffer.from('observer:night-sky').toString('base64');
    for (const scheme of ['basic', 'BASIC', 'Basic']) {
      expect((await route(get('/api/pipelines', { ...local, authorization: `${scheme} ${credentials}` }))).status, scheme).toBe(200);
    }
    for (const scheme of ['bearer', 'BEARER']) {
      expect((await route(post('/api/reload', { authorization: `${scheme} ${TOKEN}` }))).status, scheme).toBe(200);
    }
  });

  it('checks one password at a time, a few waiting, and does not check a wrong one again', async () => {
    const hash = await hashPassword('night-sky', 2 ** 10);
    let scrypts = 0;
    const auth = createAuthenticator({ user: 'observer', passwordHash: { env: 'X' } }, null, async () => (scrypts++, hash));
    const route = createRouter(api(), { auth });
    const basic = (password: string) => ({ ...local, authorization: `Basic ${Buffer.from(`observer:${password}`).toString('base64')}` });
    const flood = await Promise.all(Array.from({ length: 10 }, (_, i) => route(get('/api/pipelines', basic(`guess-${i}`)))));
    expect(flood.map((a) => a.status)).toEqual([...Array(5).fill(401), ...Array(5).fill(503)]);
    expect(flood[9]!.headers).toEqual({ 'retry-after': '1' });
    expect(scrypts).toBe(5);
    expect((await route(get('/api/pipelines', basic('guess-0')))).status).toBe(401);
    expect(scrypts).toBe(5);
    expect((await route(get('/api/pipelines', basic('night-sky')))).status).toBe(200);
  });

  it('with a trusted proxy, believes its user header only beside the shared secret', async () => {
    const auth = createAuthenticator(
      { trustedProxy: { userHeader: 'X-Remote-User', secret: { env: 'X' } } },
      null,
      async () => 'proxy-secret',
    );
    const route = createRouter(api(), { auth, publicNames: ['monitor.obs.example'] });
    const host = { host: 'monitor.obs.example' };
    expect((await route(get('/api/pipelines', { ...host, 'x-remote-user': 'ana' }))).status).toBe(401);
    expect((await route(get('/api/pipelines', { ...host, 'x-remote-user': 'ana', [PROXY_SECRET_HEADER]: 'guess' }))).status).toBe(401);
    expect((await route(get('/api/pipelines', { ...host, 'x-remote-user': 'ana', [PROXY_SECRET_HEADER]: 'proxy-secret' }))).status).toBe(
      200,
    );
  });

  it('checks scrypt hashes and refuses malformed ones with the fix', async () => {
    const hash = await hashPassword('s3cret', 2 ** 10);
    expect(hash).toMatch(/^scrypt:1024:8:1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret!', hash)).toBe(false);
    await expect(verifyPassword('x', 'plain-text')).rejects.toThrow(/scrypt:N:r:p:salt:hash/);
    await expect(verifyPassword('x', 'scrypt:4194304:8:1:AA==:AA==')).rejects.toThrow(/scrypt:N:r:p:salt:hash/);
  });
});
