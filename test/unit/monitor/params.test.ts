import { describe, expect, it } from 'vitest';
import type { NocturneConfig } from '../../../src/config/types.js';
import type { Db } from '../../../src/db/database.js';
import { createRouter, type DaemonApi } from '../../../src/http/router.js';
import { LiveFeed } from '../../../src/monitor/live-feed.js';
import { monitorRoutes } from '../../../src/monitor/routes.js';
import { openApiProblems } from '../../integration/monitor/openapi-check.js';

/** The monitor with no database: a parameter it must refuse never reaches one. */
const route = createRouter({} as DaemonApi, {
  routes: monitorRoutes({
    config: () => ({ pipelines: new Map(), daemon: { http: { monitor: { nights: 14 } } } }) as unknown as NocturneConfig,
    db: (): Db => {
      throw new Error('no query was expected');
    },
    now: () => new Date('2026-11-24T12:00:00Z'),
    nextSlots: () => undefined,
    feed: new LiveFeed(),
  }),
});
const answer = async (url: string) => {
  const got = await route({ method: 'GET', url, headers: { host: '127.0.0.1:9464' } });
  return {
    status: got.status,
    error: got.contentType.startsWith('application/json') ? (JSON.parse(String(got.body)) as { error: string }).error : null,
  };
};

describe("the monitor's parameters", () => {
  it.each(['abc', '1e400', '0x1', '1e3', '0', '-1', '1.0', ' 1', '+1', '9223372036854775808'])('refuses the id %j with 400', async (id) => {
    for (const path of ['/api/runs/', '/api/thumbnails/']) {
      const got = await answer(`${path}${encodeURIComponent(id)}`);
      expect(got.status, path).toBe(400);
      expect(got.error).toMatch(/id must be an integer from 1 to 9223372036854775807/);
    }
    expect(openApiProblems('get', '/api/runs/{id}', 400, { error: 'x' })).toEqual([]);
    expect((await answer(`/runs/${encodeURIComponent(id)}`)).status).toBe(400);
  });

  it.each(['0x10', '1e1', ' 5', '5 ', '+5', '0', '367'])('refuses the count of nights %j with 400, as ids', async (nights) => {
    const got = await answer(`/api/nights?nights=${encodeURIComponent(nights)}`);
    expect(got).toEqual({ status: 400, error: `nights must be an integer from 1 to 366, not "${nights}"` });
  });

  it('takes an id past 2^53 as naming no row, without asking the database', async () => {
    expect((await answer('/api/runs/9223372036854775807')).status).toBe(404);
    expect((await answer('/api/thumbnails/9007199254740993')).status).toBe(404);
  });

  it.each([
    '/api/quarantine?night=2026-02-30',
    '/quarantine?night=2026-02-30',
    '/api/nights/2026-02-30',
    '/nights/2026-02-31',
    '/api/quicklooks?night=2026-04-31',
    '/api/quicklooks?night=2026-13-01',
  ])('refuses the impossible night of %s with 400', async (url) => {
    expect(await answer(url)).toMatchObject({ status: 400 });
    if (url.startsWith('/api/')) expect((await answer(url)).error).toMatch(/^night must be a real date YYYY-MM-DD, not "2026-/);
  });
});
