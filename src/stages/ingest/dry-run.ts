import type { StageContext, StageOutcome } from '../types.js';
import { doneHashes } from './table/ledger.js';
import type { Candidate, IngestSource } from './common/sources.js';
import type { Tally } from './table/tally.js';

/** Lists what a run would do: hashes each file (downloading remote ones) and asks the ledger. */
export async function dryRun(
  ctx: StageContext,
  source: IngestSource,
  work: readonly { candidate: Candidate }[],
  tally: Tally,
): Promise<StageOutcome> {
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
