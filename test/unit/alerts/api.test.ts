import { describe, expect, it } from 'vitest';
import { createRouter, type DaemonApi, type HttpRequest } from '../../../src/http/router.js';

const get = (url: string): HttpRequest => ({ method: 'GET', url, headers: { host: '127.0.0.1:9464' } });

function api(incidents?: DaemonApi['incidents']): DaemonApi & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    readiness: async () => ({ ready: true }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    pipelines: async () => ({}),
    runs: async () => [],
    reload: async () => ({ ok: true, added: [], removed: [], changed: [], restartNeeded: [] }),
    ...(incidents ? { incidents: async (q: { open: boolean; limit: number }) => (asked.push(q), incidents(q)) } : {}),
  };
}

describe('GET /api/incidents', () => {
  it('passes open and limit to the daemon and answers its list as JSON', async () => {
    const a = api(async () => [{ id: 1, kind: 'stage_failed' }]);
    const route = createRouter(a);
    const res = await route(get('/api/incidents?open=1&limit=5'));
    expect(res.status).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual([{ id: 1, kind: 'stage_failed' }]);
    await route(get('/api/incidents'));
    expect(a.asked).toEqual([
      { open: true, limit: 5 },
      { open: false, limit: 50 },
    ]);
  });

  it('refuses a bad limit, and says so when the daemon has no incidents to give', async () => {
    expect((await createRouter(api(async () => []))(get('/api/incidents?limit=0'))).status).toBe(400);
    const none = await createRouter(api())(get('/api/incidents'));
    expect(none.status).toBe(404);
  });
});
