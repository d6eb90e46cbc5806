import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import { createRouter, type DaemonApi, type ReloadResult } from '../../../src/http/router.js';
import { parseListen } from '../../../src/http/server.js';

function api(overrides: Partial<DaemonApi> = {}): DaemonApi & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    queries,
    readiness: async () => ({ ready: true }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'nocturne_up 1\n' }),
    pipelines: async () => ({ stages: [] }),
    runs: async (q) => {
      queries.push(q);
      return [];
    },
    reload: async () => ({ ok: true, added: ['eit/run'], removed: [], changed: [], restartNeeded: [] }),
    ...overrides,
  };
}

describe('HTTP routes', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    const route = createRouter(api());
    expect(await route({ method: 'GET', url: '/healthz' })).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await route({ method: 'GET', url: '/readyz' })).toMatchObject({ status: 200 });
    expect(await route({ method: 'GET', url: '/metrics' })).toEqual({
      status: 200,
      contentType: 'text/plain; version=0.0.4',
      body: 'nocturne_up 1\n',
    });
  });

  it('says 503 and why when not ready', async () => {
    const route = createRouter(api({ readiness: async () => ({ ready: false, reason: 'daemon is stopping' }) }));
    expect(await route({ method: 'GET', url: '/readyz' })).toMatchObject({ status: 503, body: 'not ready: daemon is stopping\n' });
  });

  it('passes the /api/runs query on, and refuses a bad limit', async () => {
    const fake = api();
    const route = createRouter(fake);
    expect((await route({ method: 'GET', url: '/api/runs?pipeline=eit&limit=5' })).status).toBe(200);
    expect((await route({ method: 'GET', url: '/api/runs' })).status).toBe(200);
    expect(fake.queries).toEqual([{ pipeline: 'eit', limit: 5 }, { limit: 50 }]);
    const bad = await route({ method: 'GET', url: '/api/runs?limit=lots' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: 'limit must be an integer from 1 to 1000, not "lots"' });
  });

  it('reloads on POST only: 200 when applied, 422 with the issues when refused', async () => {
    const refused: ReloadResult = { ok: false, message: 'invalid', issues: [{ file: 'a.yaml', line: 1, col: 1, message: 'bad' }] };
    expect((await createRouter(api())({ method: 'POST', url: '/api/reload' })).status).toBe(200);
    const answer = await createRouter(api({ reload: async () => refused }))({ method: 'POST', url: '/api/reload' });
    expect([answer.status, JSON.parse(answer.body)]).toEqual([422, refused]);
    const wrong = await createRouter(api())({ method: 'GET', url: '/api/reload' });
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([405, { error: 'GET not allowed on /api/reload; use POST' }]);
  });

  it('404 for unknown paths; 503 naming the cause when the database fails', async () => {
    const route = createRouter(
      api({ pipelines: async () => Promise.reject(new NocturneError('DB_FAILED', 'run history: connection refused')) }),
    );
    expect((await route({ method: 'GET', url: '/nope' })).status).toBe(404);
    const failed = await route({ method: 'GET', url: '/api/pipelines' });
    expect([failed.status, JSON.parse(failed.body)]).toEqual([503, { error: 'run history: connection refused', code: 'DB_FAILED' }]);
  });

  it('parses host:port', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
  });
});
