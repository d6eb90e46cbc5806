import path from 'node:path';
import { coerceError, type NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import { failureOf, isDatabaseUnavailable, unlessUnreachable } from '../../../db/errors.js';
import { nightZone, observingNight } from '../../nights.js';
import type { StageContext } from '../../types.js';
import type { Candidate, Fetched, IngestSource } from '../common/sources.js';
import { fetchFiles, releaseAll } from '../common/work-loop.js';
import { record } from './file-results.js';
import type { LedgerEntry } from './ledger.js';
import { loadBatch, type BatchOutcome } from './load-batch.js';
import type { FileToLoad, LoaderContext } from './load-contract.js';
import { INLINE_BYTES, loadFile, rejectFailed } from './load-file.js';
import type { Tally } from './tally.js';

/** A file to load. */
export interface Work {
  candidate: Candidate;
  /** An earlier version of this path was loaded: its rows probably overlap. */
  preferStaging: boolean;
}

/** Files loaded together (see loadBatch), or a file on its own. */
export interface WorkBatch {
  works: Work[];
  /** Files of the batch not settled yet: pending should the database go. */
  unsettled: number;
}

/**
 * A batch holds up to this many small files, and this many bytes of them: enough to
 * spread one transaction, one claim statement and one message over many files, few
 * enough that a batch takes a fraction of a second (a crash loses at most that), and
 * that a short night still spreads over the connections in flight. A file that is not
 * small, or probably overlaps rows loaded before, is a batch of its own: it is never
 * held back behind others, nor holds them back.
 */
const BATCH_FILES = 50;
const BATCH_BYTES = 2 * 1024 * 1024;

/** The files in batches, in listing order. */
export function batchesOf(work: readonly Work[]): WorkBatch[] {
  const batches: WorkBatch[] = [];
  let current: Work[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length > 0) batches.push({ works: current, unsettled: current.length });
    current = [];
    bytes = 0;
  };
  for (const w of work) {
    const size = w.candidate.sizeBytes;
    if (w.preferStaging || size > INLINE_BYTES) {
      batches.push({ works: [w], unsettled: 1 });
      continue;
    }
    if (current.length === BATCH_FILES || bytes + size > BATCH_BYTES) flush();
    current.push(w);
    bytes += size;
  }
  flush();
  return batches;
}

/** What loading a batch needs, and where its counts go. */
export interface LoadWork {
  stage: IngestStageConfig;
  targetTypes: LoaderContext['targetTypes'];
  source: IngestSource;
  host: string;
  tally: Tally;
  onRows: (rows: number) => void;
}

/**
 * Fetches and loads a batch: the small in-memory files together, the others (and any
 * the batch leaves) one by one. Returns the database's unavailability as soon as it is
 * met (the files not settled stay pending), else the first error worth reporting.
 */
export async function loadWork(ctx: StageContext, batch: WorkBatch, load: LoadWork): Promise<NocturneError | undefined> {
  const { source, tally } = load;
  const fetched = new Map<FileToLoad, { candidate: Candidate; fetched: Fetched }>();
  let firstError: NocturneError | undefined;
  for (const { candidate, preferStaging } of batch.works) {
    const got = await fetchFiles(ctx, source, [candidate], { unit: 'file', key: candidate.path, tally });
    if (got.kind === 'not fetched') {
      batch.unsettled--;
      firstError ??= got.error;
      continue;
    }
    const file = got.fetched[0]!;
    fetched.set({ entry: ledgerEntry(ctx, load, candidate, file), body: file.body, preferStaging }, { candidate, fetched: file });
  }
  try {
    const files = [...fetched.keys()];
    const small = files.filter((f) => !f.preferStaging && 'bytes' in f.body && f.body.bytes.length <= INLINE_BYTES);
    let together: BatchOutcome = { settled: [], alone: small };
    if (small.length > 1) {
      const label = `${small[0]!.entry.path} and ${small.length - 1} more files`;
      try {
        together = await loadBatch({ db: ctx.db, stage: load.stage, logger: ctx.logger, targetTypes: load.targetTypes }, small);
      } catch (err) {
        const error = await unlessUnreachable(ctx.db, coerceError(err), label);
        if (isDatabaseUnavailable(error)) return error;
        ctx.logger.warn({ err: error, file: label }, 'batch not loaded; its files are loaded one by one');
      }
    }
    for (const { file, result } of together.settled) {
      // Every settled file is recorded: `firstError ??= await record(...)` would skip it once an error is kept.
      const error = await record(ctx, { stage: load.stage, source, ...fetched.get(file)!, result, tally });
      firstError ??= error;
      batch.unsettled--;
    }
    for (const file of [...together.alone, ...files.filter((f) => !small.includes(f))]) {
      const error = await loadAlone(ctx, file, fetched.get(file)!, load);
      if (error && isDatabaseUnavailable(error)) return error;
      batch.unsettled--;
      firstError ??= error;
    }
    return firstError;
  } finally {
    await releaseAll([...fetched.values()].map((f) => f.fetched));
  }
}

/** Loads one fetched file in its own transaction; returns the error that kept it pending or unset aside, if any. */
async function loadAlone(
  ctx: StageContext,
  file: FileToLoad,
  { candidate, fetched }: { candidate: Candidate; fetched: Fetched },
  { stage, source, tally, onRows, targetTypes }: LoadWork,
): Promise<NocturneError | undefined> {
  try {
    const loader = { db: ctx.db, stage, logger: ctx.logger, targetTypes, onRows };
    const result = await loadFile(loader, file).catch((err: unknown) => {
      // The file's own fault, found once its transaction was lost: rejected all the same.
      if (failureOf(err) !== 'input') throw err;
      return rejectFailed(loader, file.entry, coerceError(err).message);
    });
    return await record(ctx, { stage, source, candidate, fetched, result, tally });
  } catch (err) {
    const error = await unlessUnreachable(ctx.db, coerceError(err), candidate.path);
    if (isDatabaseUnavailable(error)) return error;
    tally.failed++;
    ctx.logger.error({ err: error, file: candidate.path }, 'file not loaded; it stays pending');
    return error;
  }
}

function ledgerEntry(ctx: StageContext, { stage, source, host }: LoadWork, candidate: Candidate, fetched: Fetched): LedgerEntry {
  const { config } = ctx.pipeline;
  return {
    source: source.key,
    path: candidate.path,
    sha256: fetched.sha256,
    sizeBytes: fetched.sizeBytes,
    // A file caught while being written was listed with a time its content no longer has.
    modifiedAt: candidate.sizeBytes === fetched.sizeBytes ? candidate.modifiedAt : null,
    pipeline: config.name,
    code: config.code.name,
    codeVersion: config.code.version,
    runId: ctx.runId,
    table: stage.table,
    host,
    night: observingNight(path.basename(candidate.path), nightZone(config, stage.timezone)),
  };
}
