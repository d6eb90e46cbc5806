/**
 * Counts the messages a process sends PostgreSQL and waits on (pg's Client.query: one
 * simple-protocol message, many statements or a COPY each) and the COMMITs among them.
 * Imported by a bench (in process), or preloaded into the CLI it times with
 * `--import tsx --import bench/round-trips.ts`: the counts are then written to
 * $BENCH_ROUND_TRIPS at exit.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type pgTypes from 'pg';

// The pg that pg-promise loads (it may have its own copy).
const pg = createRequire(createRequire(import.meta.url).resolve('pg-promise'))('pg') as typeof pgTypes;

export interface RoundTrips {
  queries: number;
  commits: number;
}

export const roundTrips: RoundTrips = { queries: 0, commits: 0 };

type Query = (this: pgTypes.Client, ...args: unknown[]) => unknown;
const query = Reflect.get(pg.Client.prototype, 'query') as Query;
(pg.Client.prototype as unknown as { query: Query }).query = function (this: pgTypes.Client, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: unknown } | null)?.text ?? '');
  roundTrips.queries++;
  if (typeof text === 'string') roundTrips.commits += text.match(/(?<!ON )\bCOMMIT\b/gi)?.length ?? 0;
  return query.apply(this, args);
};

const out = process.env['BENCH_ROUND_TRIPS'];
if (out) process.on('exit', () => writeFileSync(out, JSON.stringify(roundTrips)));

/** The counts since `before`. */
export function since(before: RoundTrips): RoundTrips {
  return { queries: roundTrips.queries - before.queries, commits: roundTrips.commits - before.commits };
}
