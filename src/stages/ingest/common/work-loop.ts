import { coerceError, NocturneError } from '../../../core/errors.js';
import { isDatabaseUnavailable } from '../../../db/errors.js';
import type { StageContext } from '../../types.js';
import type { Candidate, Fetched, IngestSource } from './sources.js';
import type { WorkTally } from './tally.js';

/** The unit a mode loads (a file, a set): the word of its log lines and the field naming it. */
export type WorkUnit = 'file' | 'set';

export interface WorkLoop<T> {
  ctx: StageContext;
  unit: WorkUnit;
  items: readonly T[];
  keyOf(item: T): string;
  /** Units (files, sets) the item holds that are not settled yet. @default 1 */
  size?(item: T): number;
  tally: WorkTally;
  /** Loads one item; returns an error worth reporting, if any. Never throws: the other workers are still running on the source. */
  load(item: T): Promise<NocturneError | undefined>;
  /** After each item, for progress and events. */
  settled?(item: T, error: NocturneError | undefined): void;
  /** @default loadsInFlight(ctx) */
  workers?: number;
}

export interface LoopEnd {
  /** Why the loop ended early (stop requested, database out of reach), if it did. */
  stopped: NocturneError | undefined;
  /** The first error worth reporting of an item that went on. */
  firstError: NocturneError | undefined;
}

/**
 * Loads the items a few at a time. No new item is started after a stop request or once
 * the database is out of reach: those items, and the one that found it so, are counted
 * pending for the next run. Any other error is kept and the others go on.
 */
export async function workLoop<T>(loop: WorkLoop<T>): Promise<LoopEnd> {
  const { ctx, unit, items, tally } = loop;
  const size = (item: T) => loop.size?.(item) ?? 1;
  let stopped: NocturneError | undefined;
  let firstError: NocturneError | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped) {
      if (ctx.signal.aborted) {
        stopped = new NocturneError('ABORTED', `stop requested: ${String(ctx.signal.reason ?? 'shutdown')}`);
        break;
      }
      const item = items[next++]!;
      const error = await loop.load(item);
      if (error && isDatabaseUnavailable(error)) {
        stopped ??= error;
        tally.pending += size(item);
        ctx.logger.error({ err: error, [unit]: loop.keyOf(item) }, `database unavailable; the remaining ${unit}s stay pending`);
      } else firstError ??= error;
      loop.settled?.(item, error);
    }
  };
  await Promise.all(Array.from({ length: loop.workers ?? loadsInFlight(ctx) }, worker));
  for (const item of items.slice(next)) tally.pending += size(item);
  return { stopped, firstError };
}

/**
 * Loads at once. Each has its own connection and transaction; overlapping them hides
 * one load's round trips and commit behind another's, which is what bounds a night of
 * small files. One connection of the pool is left for the rest of the daemon.
 */
const LOADS_IN_FLIGHT = 4;

export function loadsInFlight(ctx: StageContext): number {
  const poolSize = Number(ctx.db.$pool.options['max'] ?? 2);
  return Math.max(1, Math.min(LOADS_IN_FLIGHT, poolSize - 1));
}

/** The files of one item, fetched; or what became of the item when one could not be. */
export type Fetch = { kind: 'fetched'; fetched: Fetched[] } | { kind: 'not fetched'; error: NocturneError | undefined };

/**
 * Fetches the files of one item (one file, the members of a set), in order. A local file
 * gone since the listing (e.g. the upload stage removed it after a verified upload)
 * skips the item; any other failure leaves it pending, counted failed. Nothing stays
 * held on failure.
 */
export async function fetchFiles(
  ctx: StageContext,
  source: IngestSource,
  candidates: readonly Candidate[],
  { unit, key, tally }: { unit: WorkUnit; key: string; tally: WorkTally },
): Promise<Fetch> {
  const fetched: Fetched[] = [];
  try {
    for (const candidate of candidates) fetched.push(await source.fetch(candidate, ctx.signal));
    return { kind: 'fetched', fetched };
  } catch (err) {
    await releaseAll(fetched);
    if (source.local && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      tally.skipped++;
      ctx.logger.info(
        { [unit]: key },
        unit === 'file' ? 'file no longer there; skipped' : 'a file of the set is no longer there; set skipped',
      );
      return { kind: 'not fetched', error: undefined };
    }
    const error = coerceError(err, 'TRANSFER_FAILED');
    tally.failed++;
    ctx.logger.error({ err: error, [unit]: key }, `${unit} could not be read; it stays pending`);
    return { kind: 'not fetched', error };
  }
}

export async function releaseAll(fetched: readonly Fetched[]): Promise<void> {
  for (const f of fetched) await f.release();
}
