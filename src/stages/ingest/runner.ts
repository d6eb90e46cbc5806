import { coerceError, NocturneError } from '../../core/errors.js';
import type { IngestStageConfig } from '../../config/schema.js';
import type { StageContext, StageOutcome } from '../types.js';
import { databaseError, isDatabaseUnavailable } from './db-errors.js';
import { formatReport } from './issues.js';
import { doneHashes, seenFiles, type LedgerEntry, type SeenFile } from './ledger.js';
import { loadFile, type LoadResult } from './load-file.js';
import type { RowIssue } from './row-encoder.js';
import { setAside } from './set-aside.js';
import type { Candidate, IngestSource } from './sources.js';
import { Tally } from './tally.js';

interface Work {
  candidate: Candidate;
  /** An earlier version of this path was loaded: its rows probably overlap. */
  preferStaging: boolean;
}

/**
 * One ingest run over one source: list, drop what the ledger shows as already seen
 * (same path, size and mtime), then load the rest one file at a time, stopping between
 * files on shutdown or as soon as the database is out of reach (those files stay
 * pending). A bad file is rejected and set aside; the others go on.
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
      firstError ??= await setAsideQuietly(ctx, stage, candidate, known, known.error ?? 'rejected', issues, 0);
    }
  }
  if (ctx.dryRun) return dryRun(ctx, source, work, tally);

  let stopped: NocturneError | undefined;
  for (const [index, { candidate, preferStaging }] of work.entries()) {
    if (ctx.signal.aborted) {
      stopped = new NocturneError('ABORTED', `stop requested: ${String(ctx.signal.reason ?? 'shutdown')}`);
      tally.pending = work.length - index;
      break;
    }
    const report = (rows: number) => ctx.progress.update({ files: `${index + 1}/${work.length}`, rows: tally.rows + rows });
    report(0);
    const fetched = await source.fetch(candidate, ctx.signal).catch((err: unknown) => coerceError(err, 'TRANSFER_FAILED'));
    if (fetched instanceof NocturneError) {
      tally.failed++;
      firstError ??= fetched;
      ctx.logger.error({ err: fetched, file: candidate.path }, 'file could not be read; it stays pending');
      continue;
    }
    try {
      const entry = ledgerEntry(ctx, stage, source, candidate, host, fetched);
      const result = await loadFile({ db: ctx.db, stage, logger: ctx.logger, onRows: report }, { entry, localPath: fetched.localPath, preferStaging });
      firstError ??= await record(ctx, stage, source, candidate, fetched, result, tally);
    } catch (err) {
      const error = coerceError(err);
      if (isDatabaseUnavailable(error)) {
        stopped = error;
        tally.pending = work.length - index;
        ctx.logger.error({ err: error, file: candidate.path }, 'database unavailable; the remaining files stay pending');
        break;
      }
      tally.failed++;
      firstError ??= error;
      ctx.logger.error({ err: error, file: candidate.path }, 'file not loaded; it stays pending');
    } finally {
      await fetched.release();
    }
  }
  ctx.progress.update({ files: `${work.length - tally.pending}/${work.length}`, rows: tally.rows });
  return tally.outcome(stopped, firstError);
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
    modifiedAt: candidate.modifiedAt,
    pipeline: config.name,
    code: config.code.name,
    codeVersion: config.code.version,
    runId: ctx.runId,
    table: stage.table,
    host,
  };
}

/** Counts one file's result and logs it; returns an error worth reporting, if any. */
async function record(
  ctx: StageContext,
  stage: IngestStageConfig,
  source: IngestSource,
  candidate: Candidate,
  fetched: { sha256: string },
  result: LoadResult,
  tally: Tally,
): Promise<NocturneError | undefined> {
  const file = candidate.path;
  switch (result.kind) {
    case 'busy':
      tally.skipped++;
      ctx.logger.info({ file }, 'file is being loaded by another process; skipped');
      return undefined;
    case 'done':
      tally.skipped++;
      ctx.logger.debug({ file, rejected: result.rejected !== null }, 'file content already ingested or rejected; skipped');
      // The same bad content put back in the source: set it aside again, with the first report.
      if (!result.rejected || !source.local) return undefined;
      return setAsideQuietly(ctx, stage, candidate, fetched, result.rejected.error, result.rejected.issues as RowIssue[], 0);
    case 'loaded':
      tally.add(result.counts);
      ctx.logger.debug({ file, fileId: result.fileId, ...result.counts }, 'file loaded');
      return undefined;
    case 'rejected':
      tally.rejected++;
      tally.rows += result.rows;
      ctx.logger.error({ file, fileId: result.fileId, error: result.error }, 'file rejected');
      if (!source.local) return undefined;
      return setAsideQuietly(ctx, stage, candidate, fetched, result.error, result.issues, result.more);
  }
}

/** Sets a rejected local file aside; a failure is logged and returned (the next run tries again). */
async function setAsideQuietly(
  ctx: StageContext,
  stage: IngestStageConfig,
  candidate: Candidate,
  fetched: { sha256: string },
  summary: string,
  issues: readonly RowIssue[],
  more: number,
): Promise<NocturneError | undefined> {
  const pipeline = ctx.pipeline.config.name;
  try {
    const where = await setAside({
      file: candidate.path,
      relPath: candidate.relPath,
      quarantineDir: ctx.config.paths.quarantine,
      pipeline,
      sha256: fetched.sha256,
      report: formatReport({ file: candidate.path, sha256: fetched.sha256, pipeline, table: stage.table, summary, issues, more }),
    });
    ctx.logger.warn({ file: candidate.path, quarantinedAs: where }, 'rejected file set aside');
    return undefined;
  } catch (err) {
    const error = coerceError(err);
    ctx.logger.error({ err: error, file: candidate.path }, 'rejected file could not be set aside');
    return error;
  }
}

/** Lists what a run would do: hashes each file (downloading remote ones) and asks the ledger. */
async function dryRun(ctx: StageContext, source: IngestSource, work: readonly Work[], tally: Tally): Promise<StageOutcome> {
  const hashes: string[] = [];
  for (const { candidate } of work) {
    const fetched = await source.fetch(candidate, ctx.signal);
    hashes.push(fetched.sha256);
    await fetched.release();
  }
  const known = await doneHashes(ctx.db, source.key, hashes);
  let pending = 0;
  for (const [index, { candidate }] of work.entries()) {
    const status = known.get(hashes[index]!);
    if (status) tally.skipped++;
    else pending++;
    ctx.print(status ? `skip  ${candidate.path} (same content ${status} earlier)` : `load  ${candidate.path}`);
  }
  tally.pending = pending;
  return {
    ok: true,
    stats: { files: tally.files, pending, skipped: tally.skipped },
    summary: `dry run: ${pending} of ${tally.files} files would be loaded, ${tally.skipped} skipped`,
  };
}
