/**
 * Counts the messages a process sends PostgreSQL and waits on, and the COMMITs among
 * them: each simple-protocol Query (many statements or a COPY each) and each Sync that
 * ends an extended-protocol exchange. Imported by a bench (in process), or preloaded
 * into the CLI it times with `--import tsx --import bench/round-trips.ts`: the counts are
 * then written to $BENCH_ROUND_TRIPS at exit. They are read off the sockets' writes, not
 * off pg's Client: the CLI runs the pg bundled into dist/nocturne.cjs, which nothing
 * outside the bundle can reach.
 */
import { writeFileSync } from 'node:fs';
import { Socket } from 'node:net';

export interface RoundTrips {
  queries: number;
  commits: number;
}

export const roundTrips: RoundTrips = { queries: 0, commits: 0 };

const QUERY = 0x51; // 'Q'
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]); // 'S', length 4

/** pg writes each message in a write of its own: a Query is 'Q', its length, its text. */
function count(chunk: unknown): void {
  if (!Buffer.isBuffer(chunk) || chunk.length < 5) return;
  if (chunk.equals(SYNC)) {
    roundTrips.queries++;
  } else if (chunk[0] === QUERY && chunk.readInt32BE(1) === chunk.length - 1) {
    roundTrips.queries++;
    roundTrips.commits += chunk.toString('utf8', 5).match(/(?<!ON )\bCOMMIT\b/gi)?.length ?? 0;
  }
}

type Write = (this: Socket, ...args: unknown[]) => boolean;
const write = Reflect.get(Socket.prototype, 'write') as Write;
(Socket.prototype as unknown as { write: Write }).write = function (this: Socket, ...args: unknown[]) {
  count(args[0]);
  return write.apply(this, args);
};

const out = process.env['BENCH_ROUND_TRIPS'];
if (out) process.on('exit', () => writeFileSync(out, JSON.stringify(roundTrips)));

/** The counts since `before`. */
export function since(before: RoundTrips): RoundTrips {
  return { queries: roundTrips.queries - before.queries, commits: roundTrips.commits - before.commits };
}
