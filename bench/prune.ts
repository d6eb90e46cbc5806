/**
 * `npm run bench -- prune [--nights 1095] [--batch 1000] [--keep]`: three years of history
 * (bench/monitor-seed.ts: per pipeline and night a run-stage run with a 20-task array, 24
 * upload and 96 ingest runs, 60 transfers with 6 events each, a load per task) pruned with
 * the repository's retention ages, in batches, while a writer standing in for the daemon
 * and its stages inserts runs, transfers and events and updates them. Prints the time per
 * million rows pruned and the longest the writer waited for one statement (its stall),
 * beside its longest before the prune began. Needs the rig's PostgreSQL (or
 * $NOCTURNE_BENCH_PG_URL). Goal: no stall much longer than one batch.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import type { NocturneConfig } from '../src/config/types.js';
import { systemClock } from '../src/core/clock.js';
import { closeDb, openDb, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { prune } from '../src/housekeeping/prune.js';
import { totalRows } from '../src/housekeeping/report.js';
import { rig } from '../harness/rig.js';
import { seedHistory } from './monitor-seed.js';
import { timed } from './timing.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback;
}

/** What a stage does to the ledgers, statement by statement, until stopped: each statement timed. */
function startWriter(db: Db, pipeline: string): { stop(): Promise<{ statements: number; maxMs: number }> } {
  let stopped = false;
  let statements = 0;
  let maxMs = 0;
  const timedStatement = async (sql: string, values: unknown[]) => {
    const started = performance.now();
    const row = await db.oneOrNone<{ id: string }>(sql, values);
    maxMs = Math.max(maxMs, performance.now() - started);
    statements += 1;
    return row;
  };
  const loop = (async () => {
    while (!stopped) {
      const run = await timedStatement(
        `INSERT INTO runs (pipeline, stage, slot, trigger, host, pid, lease_until) VALUES ($1, 'upload', clock_timestamp(), 'manual', 'bench-writer', 1, now() + interval '1 minute') RETURNING id`,
        [pipeline],
      );
      const transfer = await timedStatement(
        `INSERT INTO transfers (pipeline, target, kind, local_path, size_bytes, mtime_ms, remote_path, run_id)
         VALUES ($1, 'archive', 'output', '/bench/' || gen_random_uuid(), 1000, 0, '/hfc/bench', $2) RETURNING id`,
        [pipeline, run!.id],
      );
      for (const [from, to] of [
        [null, 'discovered'],
        ['discovered', 'uploading'],
        ['uploading', 'verified'],
        ['verified', 'deleted'],
      ] as const) {
        await timedStatement(`INSERT INTO transfer_events (transfer_id, from_state, to_state, run_id) VALUES ($1, $2, $3, $4)`, [
          transfer!.id,
          from,
          to,
          run!.id,
        ]);
      }
      await timedStatement(`UPDATE transfers SET state = 'deleted', partial_path = NULL, updated_at = now() WHERE id = $1`, [transfer!.id]);
      await timedStatement(`UPDATE runs SET state = 'succeeded', finished_at = now() WHERE id = $1`, [run!.id]);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { statements, maxMs };
    },
  };
}

export async function bench(args: string[]): Promise<void> {
  const nights = flag(args, '--nights', 3 * 365);
  const batch = flag(args, '--batch', 1000);
  const url = process.env['NOCTURNE_BENCH_PG_URL'] ?? rig().pgUrl;
  const schema = `bench_prune_${randomBytes(3).toString('hex')}`;
  const db = openDb({ url, schema, poolSize: 4, applicationName: 'nocturne-bench-prune' });
  const writerDb = openDb({ url, schema, poolSize: 2, applicationName: 'nocturne-bench-prune-writer' });
  const loaded = await loadConfig(REPO);
  if (!loaded.ok) throw new Error(`the repository's configuration does not load: ${JSON.stringify(loaded.issues[0])}`);
  // Files are this host's business: an empty directory, so that only the database is measured.
  const state = await mkdtemp(path.join(tmpdir(), 'nocturne-bench-prune-'));
  const daemon = loaded.config.daemon;
  const config: NocturneConfig = {
    ...loaded.config,
    paths: {
      state,
      outbox: path.join(state, 'outbox'),
      quarantine: path.join(state, 'quarantine'),
      logs: path.join(state, 'logs'),
      work: path.join(state, 'work'),
    },
    daemon: { ...daemon, database: { ...daemon.database, url, schema }, retention: { ...daemon.retention, batchSize: batch } },
  };
  const pipelines = [...config.pipelines.keys()];
  try {
    await migrate(db, schema);
    console.log(`seeding ${schema}: ${pipelines.length} pipelines × ${nights} nights`);
    const seedS = await timed(() => seedHistory(db, { pipelines, nights, tasksPerNight: 20 }, (line) => console.log(line)));
    const { rows } = await db.one<{ rows: string }>(
      `SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM jobs) + (SELECT count(*) FROM job_tasks) + (SELECT count(*) FROM transfers)
            + (SELECT count(*) FROM transfer_events) + (SELECT count(*) FROM ingested_sets) + (SELECT count(*) FROM ingested_files) AS rows`,
    );
    console.log(`seeded ${rows} rows in ${seedS.toFixed(1)} s`);

    const before = startWriter(writerDb, pipelines[0]!);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const baseline = await before.stop();

    const writer = startWriter(writerDb, pipelines[0]!);
    let batches = 0;
    let longestBatchMs = 0;
    const started = performance.now();
    let last = started;
    // A batch holds its row locks at most as long as it takes (kinds that check files: less).
    const onBatch = () => {
      const now = performance.now();
      longestBatchMs = Math.max(longestBatchMs, now - last);
      last = now;
      batches += 1;
    };
    const report = await prune({ db, config, clock: systemClock, onBatch }, { dryRun: false });
    const pruneS = (performance.now() - started) / 1000;
    const during = await writer.stop();
    const removed = totalRows(report);
    const tables = new Map<string, number>();
    for (const kind of Object.values(report.kinds)) for (const [t, n] of Object.entries(kind.rows)) tables.set(t, (tables.get(t) ?? 0) + n);
    console.log(
      `pruned ${removed} rows in ${pruneS.toFixed(1)} s, ${batches} batches of at most ${batch}: ${[...tables].map(([t, n]) => `${t} ${n}`).join(', ')}`,
    );
    console.log(`time per million rows pruned: ${((pruneS * 1e6) / Math.max(removed, 1)).toFixed(1)} s`);
    console.log(`longest batch: ${longestBatchMs.toFixed(0)} ms`);
    console.log(
      `writer's longest stall: ${during.maxMs.toFixed(0)} ms (${during.statements} statements during the prune; longest before it: ${baseline.maxMs.toFixed(0)} ms over ${baseline.statements})`,
    );
  } finally {
    if (!args.includes('--keep')) await db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [schema]);
    await closeDb(writerDb);
    await closeDb(db);
    await rm(state, { recursive: true, force: true });
  }
}
