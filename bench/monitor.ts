/**
 * `npm run bench -- monitor [--nights 1095] [--samples 40] [--keep]`: the web monitor's
 * server time per endpoint over three years of history (bench/monitor-seed.ts), p50 and
 * p95, then the plans (EXPLAIN ANALYZE) of the queries behind the overview and the nights
 * grid, each checked for sequential scans of the history tables. Needs the rig's
 * PostgreSQL (or $NOCTURNE_BENCH_PG_URL). Goal: p95 ≤ 100 ms for the overview and the grid.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import type { NocturneConfig } from '../src/config/types.js';
import { closeDb, openDb, pgp, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createRouter, type DaemonApi } from '../src/http/router.js';
import { LiveFeed } from '../src/monitor/live-feed.js';
import { monitorRoutes } from '../src/monitor/routes.js';
import { rig } from '../harness/rig.js';
import { seedHistory } from './monitor-seed.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Tables that grow with the history: a sequential scan of one of them is a plan to fix. */
const HISTORY = ['runs', 'jobs', 'job_tasks', 'observations', 'transfers', 'transfer_events', 'ingested_sets', 'ingested_files'];

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Every query a call runs, as sent (formatted), so that its plan can be shown. */
function recording(db: Db, queries: string[]): Db {
  const methods = new Set(['any', 'one', 'oneOrNone', 'many', 'manyOrNone', 'none', 'result', 'map']);
  const wrap = (target: object): object =>
    new Proxy(target, {
      get(object, key, receiver) {
        const value = Reflect.get(object, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (key === 'task' || key === 'tx') {
          return (...args: unknown[]) => {
            const callback = args.at(-1) as (t: object) => unknown;
            return (value as (...a: unknown[]) => unknown).apply(object, [...args.slice(0, -1), (t: object) => callback(wrap(t))]);
          };
        }
        if (methods.has(String(key))) {
          return (sql: string, values?: unknown, ...rest: unknown[]) => {
            queries.push(pgp.as.format(sql, values));
            return (value as (...a: unknown[]) => unknown).apply(object, [sql, values, ...rest]);
          };
        }
        return value;
      },
    });
  return wrap(db) as Db;
}

export async function bench(args: string[]): Promise<void> {
  const nights = flag(args, '--nights', 3 * 365);
  const samples = flag(args, '--samples', 40);
  const url = process.env['NOCTURNE_BENCH_PG_URL'] ?? rig().pgUrl;
  const schema = `bench_monitor_${randomBytes(3).toString('hex')}`;
  const db = openDb({ url, schema, poolSize: 8, applicationName: 'nocturne-bench-monitor' });
  const loaded = await loadConfig(REPO);
  if (!loaded.ok) throw new Error(`the repository's configuration does not load: ${JSON.stringify(loaded.issues[0])}`);
  const config: NocturneConfig = {
    ...loaded.config,
    daemon: { ...loaded.config.daemon, database: { ...loaded.config.daemon.database, url, schema } },
  };
  const pipelines = [...config.pipelines.keys()];
  try {
    await migrate(db, schema);
    console.log(`seeding ${schema}: ${pipelines.length} pipelines × ${nights} nights`);
    await seedHistory(db, { pipelines, nights, tasksPerNight: 20 }, (line) => console.log(line));
    const counts = await db.one<Record<string, string>>(
      `SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM job_tasks) AS tasks, (SELECT count(*) FROM transfers) AS transfers,
              (SELECT count(*) FROM transfer_events) AS transfer_events, (SELECT count(*) FROM ingested_sets) AS loads`,
    );
    console.log(
      `history: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );

    const queries: string[] = [];
    let recorder: Db = db;
    const source = {
      config: () => config,
      db: () => recorder,
      now: () => new Date(),
      nextSlots: () => undefined,
      feed: new LiveFeed(),
    };
    const api: DaemonApi = {
      readiness: async () => ({ ready: true }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      pipelines: async () => ({}),
      runs: async () => [],
      reload: async () => ({ ok: false, message: 'bench', issues: [] }),
    };
    const route = createRouter(api, { routes: monitorRoutes(source) });
    const ids = await db.one<{ run: string; upload: string; load: string; path: string; night: string }>(
      `SELECT (SELECT max(id) FROM runs WHERE stage = 'run') AS run, (SELECT max(id) FROM runs WHERE stage = 'upload' AND stats ? 'files') AS upload,
              (SELECT max(id) FROM ingested_sets) AS load, (SELECT members->0->>'path' FROM ingested_sets ORDER BY id DESC LIMIT 1) AS path,
              to_char(now() - interval '2 days', 'YYYY-MM-DD') AS night`,
    );
    const endpoints = [
      '/api/overview',
      '/',
      '/api/nights',
      '/nights',
      `/api/nights/${ids.night}`,
      `/api/runs/${ids.run}`,
      `/api/runs/${ids.upload}`,
      '/api/quarantine',
      `/api/quarantine?night=${ids.night}`,
      `/api/quicklooks?night=${ids.night}`,
      `/api/lineage?load=${ids.load}`,
      `/api/lineage?path=${encodeURIComponent(ids.path)}`,
    ];
    console.log(`\nserver time per request (${samples} samples after 3 warm-ups, in process, no network)`);
    console.log(`${'endpoint'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'bytes'.padStart(8)}`);
    for (const endpoint of endpoints) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < samples + 3; i++) {
        const started = performance.now();
        const answer = await route({ method: 'GET', url: endpoint, headers: { host: '127.0.0.1:9464' } });
        const ms = performance.now() - started;
        if (answer.status !== 200) throw new Error(`${endpoint}: ${answer.status} ${String(answer.body).slice(0, 300)}`);
        bytes = answer.body.length;
        if (i >= 3) times.push(ms);
      }
      times.sort((a, b) => a - b);
      console.log(
        `${endpoint.slice(0, 44).padEnd(44)} ${percentile(times, 50).toFixed(1).padStart(8)} ${percentile(times, 95).toFixed(1).padStart(8)} ${String(bytes).padStart(8)}`,
      );
    }

    for (const endpoint of ['/api/overview', '/api/nights']) {
      queries.length = 0;
      recorder = recording(db, queries);
      await route({ method: 'GET', url: endpoint, headers: { host: '127.0.0.1:9464' } });
      recorder = db;
      console.log(`\nplans of ${endpoint} (${queries.length} queries)`);
      for (const query of [...new Set(queries)]) {
        const plan = (await db.any<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) ${query}`)).map(
          (r) => r['QUERY PLAN'],
        );
        const seqScans = plan.filter((line) => HISTORY.some((table) => new RegExp(`Seq Scan on ${table}\\b`).test(line)));
        console.log(`\n-- ${query.replace(/\s+/g, ' ').slice(0, 160)}${query.length > 160 ? '…' : ''}`);
        console.log(
          `-- ${seqScans.length === 0 ? 'index-backed: no sequential scan of a history table' : `SEQUENTIAL SCAN: ${seqScans.join('; ').trim()}`}`,
        );
        for (const line of plan) console.log(`   ${line}`);
      }
    }
  } finally {
    if (!args.includes('--keep')) await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
    else console.log(`kept schema ${schema}`);
    await closeDb(db);
  }
}
