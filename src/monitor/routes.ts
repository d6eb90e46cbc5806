import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import type { HttpResponse, Route, Routes } from '../http/router.js';
import { ASSETS } from './assets.js';
import type { LiveFeed } from './live-feed.js';
import type { monitorViews } from './views.js';

/** What the monitor reads: the daemon's current configuration, its database, its clock and its events. */
export interface MonitorSource {
  config(): NocturneConfig;
  db(): Db;
  now(): Date;
  /** The scheduler's next slots by `pipeline/stage`, when a scheduler runs. */
  nextSlots(): Map<string, Date | null> | undefined;
  feed: LiveFeed;
}

/** The paths of the monitor's pages and JSON endpoints (views.ts answers each). */
const VIEW_PATHS = [
  '/',
  '/api/overview',
  '/nights',
  '/api/nights',
  '/nights/:night',
  '/api/nights/:night',
  '/runs/:id',
  '/api/runs/:id',
  '/quarantine',
  '/api/quarantine',
  '/quicklooks',
  '/api/quicklooks',
  '/lineage',
  '/api/lineage',
  '/campaigns',
  '/api/thumbnails/:id',
] as const;

export type MonitorPath = (typeof VIEW_PATHS)[number];

/**
 * The monitor's pages, their JSON endpoints, the event stream and the static files. The
 * views (their queries and HTML, some twenty modules) are imported with the first request
 * for one: the daemon's start does not wait for what a browser may never ask.
 */
export function monitorRoutes(source: MonitorSource): Routes {
  let views: Promise<ReturnType<typeof monitorViews>> | undefined;
  const view =
    (path: MonitorPath): Route =>
    async (query, params) => {
      views ??= import('./views.js').then((m) => m.monitorViews(source));
      return (await views)[path].GET(query, params);
    };
  return {
    ...Object.fromEntries(VIEW_PATHS.map((path) => [path, { GET: view(path) }])),
    '/api/events': { GET: async () => eventStream(source.feed) },
    ...Object.fromEntries(Object.entries(ASSETS).map(([path, get]) => [path, { GET: get }])),
  };
}

/**
 * Server-Sent Events: one `data:` line of JSON per event (its `type` inside), so a page
 * needs one handler. `retry` tells the browser how soon to come back after a restart.
 */
function eventStream(feed: LiveFeed): HttpResponse {
  return {
    status: 200,
    contentType: 'text/event-stream; charset=utf-8',
    headers: { 'x-accel-buffering': 'no' },
    body: 'retry: 2000\n: connected\n\n',
    stream: (send, closed) => {
      const unsubscribe = feed.subscribe((event) => send(`data: ${JSON.stringify(event)}\n\n`));
      closed.addEventListener('abort', unsubscribe, { once: true });
    },
  };
}
