import { CampaignStore } from '../campaigns/store.js';
import { isNight } from '../stages/nights.js';
import { coerceError } from '../core/errors.js';
import { BadRequest, idParam } from '../http/params.js';
import { json, type HttpResponse, type Route } from '../http/router.js';
import { setCatalogues } from '../stages/ingest/sets/catalogue.js';
import { nightRuns, nightsGrid } from './data/nights.js';
import { overview } from './data/overview.js';
import { quarantine, QUARANTINE_DAYS, type QuarantineFilter } from './data/quarantine.js';
import { quicklooks } from './data/quicklooks.js';
import { runDetail } from './data/run.js';
import { lineageView, type LineageView } from './data/lineage.js';
import { html } from './html.js';
import { lastNights, newestZone, stageTracks } from './nights.js';
import { campaignsPage } from './pages/campaigns.js';
import { layout, type Page } from './pages/layout.js';
import { lineagePage } from './pages/lineage.js';
import { nightPage, nightsPage } from './pages/nights.js';
import { overviewPage } from './pages/overview.js';
import { quarantinePage } from './pages/quarantine.js';
import { quicklooksPage } from './pages/quicklooks.js';
import { runPage } from './pages/run.js';
import type { MonitorPath, MonitorSource } from './routes.js';
import { BUSY_RETRY_S, Thumbnails } from './thumbnails.js';

function pipelineParam(source: MonitorSource, query: URLSearchParams): string | undefined {
  const name = query.get('pipeline') || undefined;
  if (name !== undefined && !source.config().pipelines.has(name)) throw new BadRequest(`no pipeline named "${name}"`);
  return name;
}

function nightParam(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  if (!isNight(value)) throw new BadRequest(`night must be a real date YYYY-MM-DD, not "${value}"`);
  return value;
}

function intParam(value: string | null, name: string, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  // Digits only, as ids (http/params.ts): Number() took 0x10, 1e1 and " 5".
  const n = /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > max) throw new BadRequest(`${name} must be an integer from 1 to ${max}, not "${value}"`);
  return n;
}

/** Each view: its data (one function, for the API and the page) and how it is rendered. */
interface View<T> {
  data: (query: URLSearchParams, params: Readonly<Record<string, string>>) => Promise<T | null>;
  page: (data: T, query: URLSearchParams) => Page;
}

/** The monitor's pages and their JSON endpoints: routes.ts loads this module with the first request for one. */
export function monitorViews(source: MonitorSource): Record<MonitorPath, { GET: Route }> {
  const config = () => source.config();
  const db = () => source.db();
  const pipelines = () => [...config().pipelines.keys()];
  const thumbnails = new Thumbnails();

  const views = {
    overview: {
      data: async () =>
        overview(config(), db(), { now: source.now(), nextSlots: source.nextSlots(), progressOf: (id) => source.feed.progressOf(id) }),
      page: overviewPage,
    } satisfies View<Awaited<ReturnType<typeof overview>>>,
    nights: {
      data: async (q) => {
        const count = intParam(q.get('nights'), 'nights', config().daemon.http.monitor.nights, 366);
        return nightsGrid(config(), db(), source.now(), count, pipelineParam(source, q));
      },
      page: (grid, q) => nightsPage(grid, q.get('pipeline') || undefined),
    } satisfies View<Awaited<ReturnType<typeof nightsGrid>>>,
    night: {
      data: async (q, p) => {
        const night = nightParam(p['night'])!;
        const only = pipelineParam(source, q);
        return { night, runs: await nightRuns(config(), db(), night, only ? [only] : undefined) };
      },
      page: (d, q) => nightPage(d.night, d.runs, q.get('pipeline') || undefined),
    } satisfies View<{ night: string; runs: Awaited<ReturnType<typeof nightRuns>> }>,
    run: {
      data: async (_q, p) => {
        const id = idParam(p['id'], 'run id');
        return id === null ? null : runDetail(config(), db(), id);
      },
      page: runPage,
    } satisfies View<NonNullable<Awaited<ReturnType<typeof runDetail>>>>,
    quarantine: {
      data: async (q) => {
        const filter: QuarantineFilter = {};
        const pipeline = pipelineParam(source, q);
        const night = nightParam(q.get('night'));
        if (pipeline) filter.pipeline = pipeline;
        if (night) filter.night = night;
        return { filter, entries: await quarantine(config(), db(), source.now(), filter) };
      },
      page: (d) => quarantinePage(d.entries, pipelines(), d.filter, QUARANTINE_DAYS),
    } satisfies View<{ filter: QuarantineFilter; entries: Awaited<ReturnType<typeof quarantine>> }>,
    quicklooks: {
      data: async (q) => {
        const pipeline = pipelineParam(source, q);
        const uploads = stageTracks(config(), pipeline === undefined ? undefined : [pipeline]).filter((t) => t.stage === 'upload');
        const night = nightParam(q.get('night')) ?? lastNights(source.now(), newestZone(source.now(), uploads), 1)[0]!;
        return quicklooks(config(), db(), night, pipeline);
      },
      page: (g, q) => quicklooksPage(g, pipelines(), q.get('pipeline') || undefined),
    } satisfies View<Awaited<ReturnType<typeof quicklooks>>>,
    lineage: {
      data: async (q) => lineageView(db(), setCatalogues(config()), q),
      page: lineagePage,
    } satisfies View<LineageView>,
    // The data of /api/campaigns (the daemon's API), whose shape the page shows.
    campaigns: {
      data: async () => new CampaignStore(db()).views(),
      page: campaignsPage,
    } satisfies View<Awaited<ReturnType<CampaignStore['views']>>>,
  };

  const api =
    <T>(view: View<T>, what: string): Route =>
    async (query, params) => {
      try {
        const data = await view.data(query, params);
        return data === null ? json(404, { error: `no such ${what}` }) : json(200, data);
      } catch (err) {
        if (err instanceof BadRequest) return json(400, { error: err.message });
        throw err;
      }
    };
  const page =
    <T>(view: View<T>, what: string, path: (params: Readonly<Record<string, string>>) => string): Route =>
    async (query, params) => {
      const now = source.now();
      const answer = (status: number, p: Page): HttpResponse => ({
        status,
        contentType: 'text/html; charset=utf-8',
        body: layout(p, path(params), now),
      });
      try {
        const data = await view.data(query, params);
        if (data === null) {
          return answer(404, { title: `No such ${what}`, api: '/api/overview', main: html`<p>Nothing here.</p>`, live: false });
        }
        return answer(200, view.page(data, query));
      } catch (err) {
        if (err instanceof BadRequest) {
          return answer(400, { title: 'Bad request', api: '/api/overview', main: html`<p>${err.message}</p>`, live: false });
        }
        const error = coerceError(err, 'INTERNAL', `the ${what} page`);
        return answer(503, {
          title: 'Not available',
          api: '/api/overview',
          main: html`<p class="o o-failed">${error.message}</p><p>The page reloads by itself when the daemon can answer again.</p>`,
        });
      }
    };

  return {
    '/': { GET: page(views.overview, 'overview', () => '/') },
    '/api/overview': { GET: api(views.overview, 'overview') },
    '/nights': { GET: page(views.nights, 'nights', () => '/nights') },
    '/api/nights': { GET: api(views.nights, 'nights') },
    '/nights/:night': { GET: page(views.night, 'night', () => '/nights') },
    '/api/nights/:night': { GET: api(views.night, 'night') },
    '/runs/:id': { GET: page(views.run, 'run', () => '/runs') },
    '/api/runs/:id': { GET: api(views.run, 'run') },
    '/quarantine': { GET: page(views.quarantine, 'quarantine', () => '/quarantine') },
    '/api/quarantine': { GET: api(views.quarantine, 'quarantine') },
    '/quicklooks': { GET: page(views.quicklooks, 'quicklooks', () => '/quicklooks') },
    '/api/quicklooks': { GET: api(views.quicklooks, 'quicklooks') },
    '/lineage': { GET: page(views.lineage, 'lineage', () => '/lineage') },
    '/api/lineage': { GET: api(views.lineage, 'lineage') },
    '/campaigns': { GET: page(views.campaigns, 'campaigns', () => '/campaigns') },
    '/api/thumbnails/:id': {
      GET: async (_q, params): Promise<HttpResponse> => {
        const id = idParam(params['id'], 'transfer id');
        const thumbnail = id === null ? ({ kind: 'no-quicklook' } as const) : await thumbnails.of(config(), db(), id);
        switch (thumbnail.kind) {
          case 'made':
            return { status: 200, contentType: 'image/jpeg', body: thumbnail.jpeg, headers: { 'cache-control': 'max-age=3600' } };
          // An <img> that fails logs an error in the browser: a placeholder says it instead.
          case 'none':
            return { status: 302, contentType: 'text/plain', body: '', headers: { location: '/assets/no-thumbnail.svg' } };
          case 'no-quicklook':
            return json(404, { error: `no quicklook transfer ${params['id']}` });
          case 'busy':
            return {
              ...json(503, { error: 'the monitor is reading other thumbnails from the archive: try again shortly' }),
              headers: { 'retry-after': String(BUSY_RETRY_S) },
            };
        }
      },
    },
  };
}
