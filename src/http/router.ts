import { coerceError } from '../core/errors.js';
import type { ConfigIssue } from '../config/types.js';

/** The result of a reload, as `nocturne reload` prints it. */
export type ReloadResult =
  | { ok: true; added: string[]; removed: string[]; changed: string[]; restartNeeded: string[]; warnings?: ConfigIssue[] }
  | { ok: false; message: string; issues: ConfigIssue[] };

/** What the HTTP interface asks of the daemon; the daemon implements it, unit tests fake it. */
export interface DaemonApi {
  /** Config loaded, scheduler running, state database reachable. */
  readiness(): Promise<{ ready: boolean; reason?: string }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  pipelines(): Promise<unknown>;
  runs(query: { pipeline?: string; limit: number }): Promise<unknown>;
  /** Incidents of alerting, newest first: the open ones, or the latest `limit`. */
  incidents?(query: { open: boolean; limit: number }): Promise<unknown>;
  reload(): Promise<ReloadResult>;
}

export interface HttpRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, value: unknown): HttpResponse => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: `${JSON.stringify(value)}\n`,
});
const text = (status: number, body: string): HttpResponse => ({ status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` });

type Route = (query: URLSearchParams) => Promise<HttpResponse>;

/** The `limit` parameter (default 50), or the answer refusing it. */
function limitParam(query: URLSearchParams): number | HttpResponse {
  const text = query.get('limit') ?? '50';
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return json(400, { error: `limit must be an integer from 1 to 1000, not "${text}"` });
  }
  return limit;
}

/**
 * Maps requests to the daemon: GET /healthz /readyz /metrics /api/pipelines /api/runs
 * /api/incidents, POST /api/reload. Pure of sockets, so it is tested without listening.
 */
export function createRouter(api: DaemonApi): (req: HttpRequest) => Promise<HttpResponse> {
  const routes: Record<string, Partial<Record<'GET' | 'POST', Route>>> = {
    // Answering at all proves the event loop turns: nothing else to check.
    '/healthz': { GET: async () => text(200, 'ok') },
    '/readyz': {
      GET: async () => {
        const { ready, reason } = await api.readiness();
        return ready ? text(200, 'ready') : text(503, `not ready: ${reason ?? 'unknown'}`);
      },
    },
    '/metrics': {
      GET: async () => {
        const { contentType, body } = await api.metrics();
        return { status: 200, contentType, body };
      },
    },
    '/api/pipelines': { GET: async () => json(200, await api.pipelines()) },
    '/api/runs': {
      GET: async (query) => {
        const limit = limitParam(query);
        if (typeof limit !== 'number') return limit;
        const pipeline = query.get('pipeline') || undefined;
        return json(200, await api.runs(pipeline === undefined ? { limit } : { pipeline, limit }));
      },
    },
    '/api/incidents': {
      GET: async (query) => {
        const limit = limitParam(query);
        if (typeof limit !== 'number') return limit;
        const open = ['1', 'true', ''].includes(query.get('open') ?? 'false');
        if (!api.incidents) return json(404, { error: 'no incidents here: this daemon has no alerting' });
        return json(200, await api.incidents({ open, limit }));
      },
    },
    '/api/reload': {
      POST: async () => {
        const result = await api.reload();
        return json(result.ok ? 200 : 422, result);
      },
    },
  };

  return async (req) => {
    const url = new URL(req.url, 'http://localhost');
    const methods = routes[url.pathname];
    if (!methods) return json(404, { error: `no such endpoint: ${url.pathname}` });
    const route = methods[req.method as 'GET' | 'POST'];
    if (!route) return json(405, { error: `${req.method} not allowed on ${url.pathname}; use ${Object.keys(methods).join(', ')}` });
    try {
      return await route(url.searchParams);
    } catch (err) {
      const error = coerceError(err, 'INTERNAL', `${req.method} ${url.pathname}`);
      return json(error.retryable || error.code === 'DB_FAILED' ? 503 : 500, { error: error.message, code: error.code });
    }
  };
}
