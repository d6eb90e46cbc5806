import path from 'node:path';
import { coerceError, type NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import { nightZone, observingNight } from '../../nights.js';
import type { StageContext, StageOutcome } from '../../types.js';
import { databaseError, failureOf, isDatabaseUnavailable, unlessUnreachable } from '../../../db/errors.js';
import { dryRun } from '../dry-run.js';
import { record, setAsideQuietly } from './file-results.js';
import { seenFiles, type LedgerEntry, type SeenFile } from './ledger.js';
import { loadFile, rejectFailed } from './load-file.js';
import type { RowIssue } from '../common/issues.js';
import type { Candidate, IngestSource } from '../common/sources.js';
import { fetchFiles, workLoop } from '../common/work-loop.js';
import { Tally } from './tally.js';

interface Work {
  candidate: Candidate;
  /** An earlier version of this path was loaded: its rows probably overlap. */
  preferStaging: boolean;
}

/**
 * One ingest run over one source: list, drop what the ledger shows as already seen
 * (same path, size and mtime), then load the rest, a few files at a time, each in its
 * own transaction (see workLoop). A bad file is rejected and set aside; the others go on.
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

  let done = 0;
  // Rows read so far by the files in flight, for the progress line of a long file.
  let inFlightRows = 0;
  const report = () => ctx.progress.update({ files: `${done}/${work.length}`, rows: tally.rows + inFlightRows });
  const end = await workLoop({
    ctx,
    unit: 'file',
    items: work,
    keyOf: (w) => w.candidate.path,
    tally,
    load: async (w) => {
      let rows = 0;
      const onRows = (read: number) => {
        inFlightRows += read - rows;
        rows = read;
        report();
      };
      const error = await loadOne(ctx, { stage, source, host, work: w, tally, onRows });
      inFlightRows -= rows;
      return error;
    },
    settled: () => {
      done++;
      report();
    },
  });
  return tally.outcome(end.stopped, firstError ?? end.firstError);
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
  const got = await fetchFiles(ctx, source, [candidate], { unit: 'file', key: candidate.path, tally });
  if (got.kind === 'not fetched') return got.error;
  const fetched = got.fetched[0]!;
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
