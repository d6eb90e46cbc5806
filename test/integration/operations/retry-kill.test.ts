// `nocturne retry --now` killed with SIGKILL at several instants: before it does anything,
// as it records the retry, while its run loads the file, and at two fixed delays. After
// the next run (the retry asked again, as a person would, then `nocturne run`), every
// retried file is loaded exactly once, its earlier attempt is on record exactly once, no
// copy is left in the quarantine and no run is left running.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killWhen } from './kill.js';
import { opsWorld, type OpsWorld } from './world.js';

const ROWS = 150_000;

/** `expect`: what the kill must have left behind, so that each instant is the one named. */
type Instant = { name: string; reached: (w: OpsWorld) => Promise<boolean>; expect?: { recorded?: boolean; runLeft?: boolean } };

const count = async (w: OpsWorld, sql: string, params: unknown[] = []) => (await w.t.db.one<{ n: number }>(sql, params)).n;
const recorded = (w: OpsWorld) => count(w, 'SELECT count(*)::int AS n FROM operator_actions');
const runsLeft = (w: OpsWorld) => count(w, `SELECT count(*)::int AS n FROM runs WHERE state = 'running'`);
const INSTANTS: Instant[] = [
  { name: 'at once', reached: async () => true, expect: { recorded: false } },
  { name: 'once the retry is recorded', reached: async (w) => (await recorded(w)) > 0, expect: { recorded: true } },
  { name: 'while its run loads the file', reached: async (w) => (await runsLeft(w)) > 0, expect: { recorded: true, runLeft: true } },
  {
    name: 'after 400 ms',
    reached: (() => {
      const t0 = { at: 0 };
      return async () => {
        t0.at ||= Date.now();
        return Date.now() - t0.at >= 400;
      };
    })(),
  },
  {
    // A state, not a time: the load is fast enough to end before any fixed delay.
    name: 'inside its load transaction',
    reached: async (w) =>
      (await runsLeft(w)) > 0 &&
      (await count(
        w,
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      )) > 0,
    expect: { recorded: true, runLeft: true },
  },
];

describe('nocturne retry --now killed with SIGKILL (needs npm run build)', () => {
  let w: OpsWorld;
  beforeAll(async () => {
    w = await opsWorld('retrykill');
    // Each file is rejected by its last row, after the COPY has gone through the others.
    for (const [i] of INSTANTS.entries()) await w.writeCsv(`f${i}.csv`, 1 + i * ROWS, ROWS, [5_000_000 + i]);
    expect((await w.cli('run', 'eit', '--stage', 'ingest')).code).toBe(0);
    expect(await count(w, `SELECT count(*)::int AS n FROM ingested_files WHERE status = 'rejected'`)).toBe(INSTANTS.length);
    await w.fixTable();
  }, 120_000);
  afterAll(async () => w?.close());

  it.each(INSTANTS.map((instant, i) => [instant.name, i, instant] as const))(
    'killed %s: nothing doubled or lost after the next run',
    async (_name, i, instant) => {
      await w.t.db.none('DELETE FROM operator_actions');
      const file = `f${i}.csv`;
      await killWhen(['retry', 'eit', '--stage', 'ingest', '--file', file, '--now', '--config', w.dir], () => instant.reached(w));
      if (instant.expect?.recorded !== undefined) expect((await recorded(w)) > 0).toBe(instant.expect.recorded);
      if (instant.expect?.runLeft !== undefined) expect((await runsLeft(w)) > 0).toBe(instant.expect.runLeft);

      // The next run: the retry asked again if it was not recorded, then the stage.
      const again = await w.cli('retry', 'eit', '--stage', 'ingest', '--file', file);
      expect(again.code, again.stderr).toBe(0);
      const run = await w.cli('run', 'eit', '--stage', 'ingest');
      expect(run.code, run.stderr).toBe(0);

      const rows = await w.t.db.any<{ status: string; rows_inserted: number }>(
        `SELECT status, rows_inserted FROM ingested_files WHERE path LIKE '%/' || $1 ORDER BY id`,
        [file],
      );
      expect(rows).toEqual([{ status: 'loaded', rows_inserted: ROWS + 1 }]);
      const first = 1 + i * ROWS;
      expect(
        await count(w, `SELECT count(*)::int AS n FROM ${w.table} WHERE feature_id BETWEEN $1 AND $2 OR feature_id = $3`, [
          first,
          first + ROWS - 1,
          5_000_000 + i,
        ]),
      ).toBe(ROWS + 1);
      expect(await count(w, `SELECT count(*)::int AS n FROM retried_items WHERE item LIKE '%/' || $1`, [file])).toBe(1);
      expect(existsSync(path.join(w.dir, 'state/quarantine/eit', file))).toBe(false);
      expect(existsSync(path.join(w.csv, file))).toBe(true);
      expect(await runsLeft(w)).toBe(0);
      // The other files are untouched: still rejected, waiting for their own retry.
      expect(await count(w, `SELECT count(*)::int AS n FROM ingested_files WHERE status = 'rejected'`)).toBe(INSTANTS.length - i - 1);
    },
    120_000,
  );
});
