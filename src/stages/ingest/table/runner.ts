import type { NocturneError } from '../../../core/errors.js';
import type { IngestStageConfig } from '../../../config/types.js';
import type { StageContext, StageOutcome } from '../../types.js';
import { databaseError, isDatabaseUnavailable } from '../../../db/errors.js';
import { dryRun } from '../dry-run.js';
import type { RowIssue } from '../common/issues.js';
import type { Candidate, IngestSource } from '../common/sources.js';
import { workLoop } from '../common/work-loop.js';
import { warnPassedOver } from '../../../log/first-sighting.js';
import { setAsideQuietly } from './file-results.js';
import { seenFiles, type SeenFile } from './ledger.js';
import { batchesOf, loadWork, type Work } from './load-work.js';
import { Tally } from './tally.js';
import { columnTypes } from './target-columns.js';

/**
 * One ingest run over one source: list, drop what the ledger shows as already seen
 * (same path, size and mtime), then load the rest, a few batches at a time (see
 * workLoop), small files many to a transaction (see loadWork). A bad file is rejected
 * and set aside; the others go on.
 */
export async function ingestFrom(ctx: StageContext, stage: IngestStageConfig, source: IngestSource, host: string): Promise<StageOutcome> {
  const tally = new Tally();
  const { candidates, passedOver } = await source.list();
  tally.files = candidates.length;
  tally.passedOver = passedOver.length;
  warnPassedOver(ctx.logger, `${ctx.pipeline.config.name}/ingest`, passedOver, 'source entry not ingested');
  let seen: Map<string, SeenFile>;
  try {
    seen = await seenFiles(
      ctx.db,
      source.key,
      candidates.map((c) => c.path),
    );
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
      const error = await setAsideQuietly(ctx, stage, {
        candidate,
        sha256: known.sha256,
        summary: known.error ?? 'rejected',
        issues,
        more: 0,
      });
      firstError ??= error;
    }
  }
  if (ctx.dryRun) return dryRun(ctx, source, work, tally);

  const targetTypes = columnTypes(ctx.db, stage.table);
  let done = 0;
  // Rows read so far by the files in flight, for the progress line of a long file.
  let inFlightRows = 0;
  const report = () => ctx.progress.update({ files: `${done}/${work.length}`, rows: tally.rows + inFlightRows });
  const end = await workLoop({
    ctx,
    unit: 'file',
    items: batchesOf(work),
    keyOf: ({ works }) => works[0]!.candidate.path + (works.length > 1 ? ` (and ${works.length - 1} more files)` : ''),
    size: (batch) => batch.unsettled,
    tally,
    load: async (batch) => {
      let rows = 0;
      const onRows = (read: number) => {
        inFlightRows += read - rows;
        rows = read;
        report();
      };
      const error = await loadWork(ctx, batch, { stage, targetTypes, source, host, tally, onRows });
      inFlightRows -= rows;
      return error;
    },
    settled: (batch) => {
      done += batch.works.length;
      report();
    },
  });
  return tally.outcome(end.stopped, firstError ?? end.firstError);
}

function unchanged(known: SeenFile, candidate: Candidate): boolean {
  return (
    candidate.modifiedAt !== null &&
    known.modifiedAt?.getTime() === candidate.modifiedAt.getTime() &&
    known.sizeBytes === candidate.sizeBytes
  );
}
