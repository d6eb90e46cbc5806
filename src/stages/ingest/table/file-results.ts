import { coerceError, type NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import type { StageContext } from '../../types.js';
import { formatReport } from '../common/issues.js';
import type { LoadResult } from './load-contract.js';
import type { RowIssue } from '../common/issues.js';
import { setAside } from '../common/set-aside.js';
import type { Candidate, IngestSource } from '../common/sources.js';
import type { Tally } from './tally.js';

/** One file's load, as record() counts it. */
export interface FileResult {
  stage: IngestStageConfig;
  source: IngestSource;
  candidate: Candidate;
  fetched: { sha256: string };
  result: LoadResult;
  tally: Tally;
}

/** Counts one file's result and logs it; returns an error worth reporting, if any. */
export async function record(
  ctx: StageContext,
  { stage, source, candidate, fetched, result, tally }: FileResult,
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
      return setAsideQuietly(ctx, stage, {
        candidate,
        sha256: fetched.sha256,
        summary: result.rejected.error,
        issues: result.rejected.issues as RowIssue[],
        more: 0,
      });
    case 'loaded':
      tally.add(result.counts);
      ctx.logger.debug({ file, fileId: result.fileId, ...result.counts }, 'file loaded');
      return undefined;
    case 'rejected':
      tally.rejected++;
      tally.rows += result.rows;
      ctx.logger.error({ file, fileId: result.fileId, error: result.error }, 'file rejected');
      if (!source.local) return undefined;
      return setAsideQuietly(ctx, stage, {
        candidate,
        sha256: fetched.sha256,
        summary: result.error,
        issues: result.issues,
        more: result.more,
      });
  }
}

/** A rejected file and why: the report written beside it when it is set aside. */
export interface Rejection {
  candidate: Candidate;
  sha256: string;
  summary: string;
  issues: readonly RowIssue[];
  /** Issues beyond those listed. */
  more: number;
}

/** Sets a rejected local file aside; a failure is logged and returned (the next run tries again). */
export async function setAsideQuietly(
  ctx: StageContext,
  stage: IngestStageConfig,
  { candidate, sha256, summary, issues, more }: Rejection,
): Promise<NocturneError | undefined> {
  const pipeline = ctx.pipeline.config.name;
  try {
    const where = await setAside({
      file: candidate.path,
      relPath: candidate.relPath,
      quarantineDir: ctx.config.paths.quarantine,
      pipeline,
      sha256,
      report: formatReport({ file: candidate.path, sha256, pipeline, table: stage.table, summary, issues, more }),
    });
    ctx.logger.warn({ file: candidate.path, quarantinedAs: where }, 'rejected file set aside');
    return undefined;
  } catch (err) {
    const error = coerceError(err);
    ctx.logger.error({ err: error, file: candidate.path }, 'rejected file could not be set aside');
    return error;
  }
}
