import { coerceError } from '../core/errors.js';
import { databaseError, isDatabaseUnavailable, sqlState } from '../db/errors.js';
import type { ConfigIssue } from '../config/types.js';
import { AUTH_BUSY_RETRY_S, createAuthenticator, type Authenticator } from './auth.js';
import { BadRequest, checkedParams } from './params.js';
import { crossOriginReason, header, hostAllowed, type Headers } from './security.js';

/** The result of a reload, as `nocturne reload` prints it. */
export type ReloadResult =
  | { ok: true; added: string[]; removed: string[]; changed: string[]; restartNeeded: string[]; warnings?: ConfigIssue[] }
  | {
      ok: false;
      message: string;
      issues: ConfigIssue[];
      /** Not a refusal of the configuration: the daemon is starting or stopping. */ unavailable?: true;
    };

/** What the HTTP interface asks of the daemon; the daemon implements it, unit tests fake it. */
export interface DaemonApi {
  /** Config loaded, scheduler running, state database reachable. */
  readiness(): Promise<{ ready: boolean; reason?: string }>;
  metrics(): Promise<{ contentType: string; body: string }>;
  pipelines(): Promise<unknown>;
  runs(query: { pipeline?: string; limit: number }): Promise<unknown>;
  /** Incidents of alerting, newest first: the open ones, or the latest `limit`. */
  incidents?(query: { open: boolean; limit: number }): Promise<unknown>;
  /** Reprocessing campaigns with their progress, newest first: the open ones, or the latest 100. */
  campaigns?(query: { open: boolean }): Promise<unknown>;
  reload(): Promise<ReloadResult>;
}

export interface HttpRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers?: Headers;
}

/** A body sent as it comes (Server-Sent Events): `send` writes, `closed` fires when the client leaves. */
export type StreamBody = (send: (chunk: string) => void, closed: AbortSignal) => void;

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  /** When set, the answer stays open and `stream` writes it (body is sent first). */
  stream?: StreamBody;
}

export const json = (status: number, value: unknown): HttpResponse => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: `${JSON.stringify(value)}\n`,
});
const text = (status: number, body: string): HttpResponse => ({ status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` });

/** A handler; `params` holds the path's named parts (`/api/runs/:id` → {id}). */
export type Route = (query: URLSearchParams, params: Readonly<Record<string, string>>) => Promise<HttpResponse>;
export type Routes = Record<string, Partial<Record<'GET' | 'POST', Route>>>;

export interface RouterOptions {
  /** @default no http.auth, no local token: every POST is refused */
  auth?: Authenticator;
  /** http.publicNames: Host headers answered besides loopback. */
  publicNames?: readonly string[];
  /** More routes (the monitor's pages and API). */
  routes?: Routes;
}

/** Answered to anyone who reaches the socket: they say nothing but whether the daemon is up. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

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
 * /api/incidents,
 * POST /api/reload, and the monitor's routes. Every request must name this daemon in
 * Host; with http.auth, every one but the open paths must prove who sends it; a POST
 * always must, from our own origin. Pure of sockets, so it is tested without listening.
 */
export function createRouter(api: DaemonApi, options: RouterOptions = {}): (req: HttpRequest) => Promise<HttpResponse> {
  const auth = options.auth ?? createAuthenticator(undefined, null);
  const routes: Routes = {
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
    '/api/campaigns': {
      GET: async (query) => {
        if (!api.campaigns) return json(404, { error: 'no campaigns here: this daemon has no state database' });
        return json(200, await api.campaigns({ open: ['1', 'true', ''].includes(query.get('open') ?? 'false') }));
      },
    },
    // Imported when asked for: a large description nothing else at start needs.
    '/api/openapi.json': { GET: async () => json(200, (await import('./openapi.js')).OPENAPI) },
    '/api/reload': {
      POST: async () => {
        const result = await api.reload();
        return json(result.ok ? 200 : result.unavailable ? 503 : 422, result);
      },
    },
    ...options.routes,
  };
  const patterns = Object.keys(routes)
    .filter((key) => key.includes('/:'))
    .map((key) => ({ key, regex: new RegExp(`^${key.replace(/:([a-z]+)/g, '(?<$1>[^/]+)')}$`) }));
  const find = (pathname: string): { methods: Routes[string]; params: Record<string, string> } | undefined => {
    const exact = routes[pathname];
    if (exact) return { methods: exact, params: {} };
    for (const { key, regex } of patterns) {
      const match = regex.exec(pathname);
      if (match) {
        return { methods: routes[key]!, params: { ...match.groups } };
      }
    }
    return undefined;
  };

  return async (req) => {
    if (!hostAllowed(header(req.headers, 'host'), options.publicNames ?? [])) {
      return text(421, `Host ${JSON.stringify(header(req.headers, 'host') ?? '')} is not this daemon's name: add it to http.publicNames`);
    }
    const url = new URL(req.url, 'http://localhost');
    const open = OPEN_PATHS.has(url.pathname);
    const mutating = req.method !== 'GET' && req.method !== 'HEAD';
    if (!open && (auth.required || mutating)) {
      const identity = await auth.identify(req.headers);
      if (identity === 'busy') {
        return {
          ...json(503, { error: 'too many passwords being checked at once: try again shortly' }),
          headers: { 'retry-after': String(AUTH_BUSY_RETRY_S) },
        };
      }
      if (!identity) {
        const answer = json(401, {
          error: mutating
            ? `${req.method} ${url.pathname} needs authentication: http.auth, or the daemon's token file (nocturne reload reads it)`
            : 'authentication required (http.auth)',
        });
        return auth.challenge ? { ...answer, headers: { 'www-authenticate': auth.challenge } } : answer;
      }
      const crossOrigin = mutating ? crossOriginReason(req.headers) : null;
      if (crossOrigin) return json(403, { error: `${req.method} ${url.pathname} refused: ${crossOrigin}` });
    }
    const found = find(url.pathname);
    if (!found) return json(404, { error: `no such endpoint: ${url.pathname}` });
    // HEAD is GET without the body (server.ts sends none).
    const route = found.methods[req.method === 'HEAD' ? 'GET' : (req.method as 'GET' | 'POST')];
    if (!route) {
      const allowed = Object.keys(found.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      return {
        ...json(405, { error: `${req.method} not allowed on ${url.pathname}; use ${allowed.join(', ')}` }),
        headers: { allow: allowed.join(', ') },
      };
    }
    try {
      return await route(url.searchParams, checkedParams(found.params, url.searchParams));
    } catch (err) {
      if (err instanceof BadRequest) return json(400, { error: err.message });
      const what = `${req.method} ${url.pathname}`;
      // The state database out of reach, gone or refusing us: the service is unavailable, not broken.
      const error = stateDatabaseUnusable(err) ? databaseError(err, what) : coerceError(err, 'INTERNAL', what);
      return json(error.retryable || error.code === 'DB_FAILED' ? 503 : 500, { error: error.message, code: error.code });
    }
  };
}

/** Out of reach, or no longer there for us (the database renamed or dropped, our role refused). */
function stateDatabaseUnusable(err: unknown): boolean {
  const state = sqlState(err);
  return isDatabaseUnavailable(err) || state?.startsWith('3D') === true || state?.startsWith('28') === true;
}
