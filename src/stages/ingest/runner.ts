import path from 'node:path';
import { coerceError, NocturneError } from '../../core/errors.js';
import type { IngestStageConfig } from '../../config/types.js';
import { nightZone, observingNight } from '../nights.js';
import type { StageContext, StageOutcome } from '../types.js';
import { databaseError, failureOf, isDatabaseUnavailable, unlessUnreachable } from '../../db/errors.js';
import { dryRun } from './dry-run.js';
import { record, setAsideQuietly } from './file-results.js';
import { seenFiles, type LedgerEntry, type SeenFile } from './ledger.js';
import { loadFile, rejectFailed } from './load-file.js';
import type { RowIssue } from './row-encoder.js';
import type { Candidate, Fetched, IngestSource } from './sources.js';
import { Tally } from './tally.js';

interface Work {
  candidate: Candidate;
  /** An earlier version of this path was loaded: its rows probably overlap. */
  preferStaging: boolean;
}

/**
 * One ingest run over one source: list, drop what the ledger shows as already seen
 * (same path, size and mtime), then load the rest, a few files at a time, each in its
 * own transaction. No new file is started after a shutdown request or once the
 * database is out of reach (those files stay pending). A bad file is rejected and set
 * aside; the others go on.
 */
export async function ingestFrom(ctx: StageContext, stage: IngestStageConfig, source: IngestSource, host: string): Promise<StageOutcome> {
  const tally = new Tally();
  const candidates = await source.list();
  tally.files = candidates.length;
  let seen: Map<string, SeenFile>;
  try {
    seen = await seenFiles(ctx.db, source.key, candidates.map((c) => c.path));
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    tally.pending = candidates.length;
    return tally.outcome(databaseError(err, `${ctx.pipeline.config.name}: reading the ingest ledger`), undefined);
  }
  const work: Work[] = [];
  let firstError: NocturneError | undefined;
  for (const candidate of candidates) {
    const known = seen.get(candidate.path);
    if (!known || !unchanged(known, candidate)) {
      work.push({ candidate, preferStaging: known?.status === 'loaded' });
      continue;
    }
    tally.skipped++;
    if (ctx.dryRun) ctx.print(`skip  ${candidate.path} (unchanged since ${known.status})`);
    else if (known.status === 'rejected' && source.local) {
      // Rejected by a run that died before moving it away: finish the job.
      const issues = (known.report?.issues ?? []) as RowIssue[];
      firstError ??= await setAsideQuietly(ctx, stage, { candidate, sha256: known.sha256, summary: known.error ?? 'rejected', issues, more: 0 });
    }
  }
  if (ctx.dryRun) return dryRun(ctx, source, work, tally);

  let stopped: NocturneError | undefined;
  let next = 0;
  let done = 0;
  // Rows read so far by the files in flight, for the progress line of a long file.
  let inFlightRows = 0;
  const report = () => ctx.progress.update({ files: `${done}/${work.length}`, rows: tally.rows + inFlightRows });
  const loadNext = async (): Promise<void> => {
    while (next < work.length && !stopped) {
      if (ctx.signal.aborted) {
        stopped = new NocturneError('ABORTED', `stop requested: ${String(ctx.signal.reason ?? 'shutdown')}`);
        break;
      }
      const { candidate, preferStaging } = work[next++]!;
      let rows = 0;
      const onRows = (read: number) => {
        inFlightRows += read - rows;
        rows = read;
        report();
      };
      const error = await loadOne(ctx, { stage, source, host, work: { candidate, preferStaging }, tally, onRows });
      inFlightRows -= rows;
      if (error && isDatabaseUnavailable(error)) {
        stopped ??= error;
        tally.pending++;
        ctx.logger.error({ err: error, file: candidate.path }, 'database unavailable; the remaining files stay pending');
      } else firstError ??= error;
      done++;
      report();
    }
  };
  await Promise.all(Array.from({ length: filesInFlight(ctx) }, loadNext));
  tally.pending += work.length - next;
  return tally.outcome(stopped, firstError);
}

/**
 * Files loaded at once. Each has its own connection and transaction; overlapping them
 * hides one file's round trips and commit behind another's, which is what bounds a
 * night of small files. One connection of the pool is left for the rest of the daemon.
 */
const FILES_IN_FLIGHT = 4;

/** Loads run at once (files, or HFC sets): one connection of the pool stays free. */
export function filesInFlight(ctx: StageContext): number {
  const poolSize = Number(ctx.db.$pool.options['max'] ?? 2);
  return Math.max(1, Math.min(FILES_IN_FLIGHT, poolSize - 1));
}

/** One file to load, and where its counts go. */
interface LoadOne {
  stage: IngestStageConfig;
  source: IngestSource;
  host: string;
  work: Work;
  tally: Tally;
  onRows: (rows: number) => void;
}

/** Fetches and loads one file; returns the error that kept it pending or unset aside, if any. */
async function loadOne(ctx: StageContext, { stage, source, host, work, tally, onRows }: LoadOne): Promise<NocturneError | undefined> {
  const { candidate, preferStaging } = work;
  let fetched: Fetched;
  try {
    fetched = await source.fetch(candidate, ctx.signal);
  } catch (err) {
    // Gone since the listing (e.g. the upload stage removed it after a verified upload).
    if (source.local && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      tally.skipped++;
      ctx.logger.info({ file: candidate.path }, 'file no longer there; skipped');
      return undefined;
    }
    const error = coerceError(err, 'TRANSFER_FAILED');
    tally.failed++;
    ctx.logger.error({ err: error, file: candidate.path }, 'file could not be read; it stays pending');
    return error;
  }
  try {
    const entry = ledgerEntry(ctx, stage, source, candidate, host, fetched);
    const loader = { db: ctx.db, stage, logger: ctx.logger, onRows };
    const result = await loadFile(loader, { entry, body: fetched.body, preferStaging }).catch((err: unknown) => {
      // The file's own fault, found once its transaction was lost: rejected all the same.
      if (failureOf(err) !== 'input') throw err;
      return rejectFailed(loader, entry, coerceError(err).message);
    });
    return await record(ctx, { stage, source, candidate, fetched, result, tally });
  } catch (err) {
    const error = await unlessUnreachable(ctx.db, coerceError(err), candidate.path);
    if (isDatabaseUnavailable(error)) return error;
    tally.failed++;
    ctx.logger.error({ err: error, file: candidate.path }, 'file not loaded; it stays pending');
    return error;
  } finally {
    await fetched.release();
  }
}

function unchanged(known: SeenFile, candidate: Candidate): boolean {
  return (
    candidate.modifiedAt !== null &&
    known.modifiedAt?.getTime() === candidate.modifiedAt.getTime() &&
    known.sizeBytes === candidate.sizeBytes
  );
}

function ledgerEntry(
  ctx: StageContext,
  stage: IngestStageConfig,
  source: IngestSource,
  candidate: Candidate,
  host: string,
  fetched: { sha256: string; sizeBytes: number },
): LedgerEntry {
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
