import type { ResolvedRetention } from '../config/types.js';
import type { Db } from '../db/database.js';
import { lstatOrNull } from './prune-files.js';
import { deleteStatement, type RowKind } from './row-kinds.js';

/** What pruning asks of the database: the pool, or the one connection that holds the prune lock. */
export type Queries = Pick<Db, 'any' | 'one'>;

/** Rows removed (or that would be), by table. */
export type RowCounts = Record<string, number>;

export interface RowPruneOptions {
  retention: ResolvedRetention;
  dryRun: boolean;
  /** Pipelines whose files this host can see: rows that need a file check are judged for them only. */
  pipelines: readonly string[];
  /** The names of set members some pipeline's ingest takes (PostgreSQL regexes): outputs that may still be loaded. */
  members: readonly string[];
  /** Checked between batches: a stopping daemon stops pruning at the next one. */
  signal?: AbortSignal;
  /** After each batch (the bench measures them). */
  onBatch?: (rows: number) => void;
}

interface Candidate {
  id: string;
  path: string | null;
}

/**
 * Removes the rows of one kind in batches of retention.batchSize, each one statement and
 * so its own short transaction: stages writing meanwhile wait for no lock longer than one
 * batch takes. A dry run walks the same candidates and counts them with their children.
 */
export async function pruneRows(db: Queries, kind: RowKind, options: RowPruneOptions): Promise<RowCounts> {
  const counts: RowCounts = { [kind.table]: 0, ...Object.fromEntries(kind.children.map((c) => [c.table, 0])) };
  const { batchSize } = options.retention;
  const ageMs = options.retention[`${kind.age}Ms`];
  let cursor = '0';
  for (;;) {
    if (options.signal?.aborted) break;
    let only: string[] | null;
    let seen: number;
    if (kind.whenGone || options.dryRun) {
      const batch = await db.any<Candidate>(options.dryRun ? (kind.dryCandidates ?? kind.candidates) : kind.candidates, [
        cursor,
        batchSize,
        ageMs,
        null,
        options.pipelines,
        options.members,
      ]);
      seen = batch.length;
      if (seen === 0) break;
      cursor = batch.at(-1)!.id;
      only = kind.whenGone ? await goneOnly(batch) : batch.map((c) => c.id);
      if (options.dryRun) {
        add(counts, await countWithChildren(db, kind, only));
      } else if (only.length > 0) {
        const done = await db.one<{ last: string | null; seen: number } & RowCounts>(deleteStatement(kind), [
          '0',
          only.length,
          ageMs,
          only,
          options.pipelines,
          options.members,
        ]);
        add(counts, done);
      }
    } else {
      const done = await db.one<{ last: string | null; seen: number } & RowCounts>(deleteStatement(kind), [
        cursor,
        batchSize,
        ageMs,
        null,
        options.pipelines,
        options.members,
      ]);
      seen = done.seen;
      if (done.last !== null) cursor = done.last;
      add(counts, done);
    }
    options.onBatch?.(seen);
    if (seen < batchSize) break;
  }
  return counts;
}

function add(counts: RowCounts, more: Record<string, unknown>): void {
  for (const table of Object.keys(counts)) counts[table]! += Number(more[table] ?? 0);
}

async function countWithChildren(db: Queries, kind: RowKind, ids: string[]): Promise<RowCounts> {
  const counts: RowCounts = { [kind.table]: ids.length };
  for (const child of kind.children) {
    const row = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM $1:name WHERE $2:name = ANY($3::bigint[])', [
      child.table,
      child.column,
      ids,
    ]);
    counts[child.table] = row.n;
  }
  return counts;
}

/** The candidates whose file no longer exists (a file still there keeps its row). */
async function goneOnly(batch: Candidate[]): Promise<string[]> {
  const gone: string[] = [];
  for (const c of batch) {
    if (c.path === null || (await lstatOrNull(c.path)) === null) gone.push(c.id);
  }
  return gone;
}
