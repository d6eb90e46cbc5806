import { coerceError, type NocturneError } from '../../../core/errors.js';
import type { StageContext } from '../../types.js';
import { setAside } from '../common/set-aside.js';
import type { Candidate } from '../common/sources.js';
import { locate } from '../common/issues.js';
import type { SetIssue } from './parse-member.js';

export interface RejectedSet {
  setKey: string;
  members: readonly { candidate: Candidate; sha256: string }[];
  summary: string;
  issues: readonly SetIssue[];
  more: number;
}

/** The .report.txt written beside each member of a rejected set. */
function formatSetReport(pipeline: string, set: RejectedSet): string {
  const lines = [
    'nocturne ingest: file set rejected, nothing of it was loaded',
    `set:      ${set.setKey}`,
    `pipeline: ${pipeline}`,
    ...set.members.map((m) => `member:   ${m.candidate.path} (sha256 ${m.sha256})`),
    `reason:   ${set.summary}`,
    '',
    'issues (file:line[:column]: reason [value]):',
    ...set.issues.map((issue) => `${locate(issue.file, issue)}${issue.value === undefined ? '' : ` [${JSON.stringify(issue.value)}]`}`),
  ];
  if (set.more > 0) lines.push(`... and ${set.more} more`);
  lines.push('', 'Fix the files and put them back in the source directory: a changed set (new content) is loaded on the next run.', '');
  return lines.join('\n');
}

/**
 * Moves the members of a rejected set out of a local source directory, each with the
 * set's report beside it (the ledger row, committed before, is the record). A failure
 * is logged and returned: the next run sees the rejected set still there and tries again.
 */
export async function setAsideSet(ctx: StageContext, set: RejectedSet): Promise<NocturneError | undefined> {
  const pipeline = ctx.pipeline.config.name;
  const report = formatSetReport(pipeline, set);
  for (const { candidate, sha256 } of set.members) {
    try {
      const where = await setAside({
        file: candidate.path,
        relPath: candidate.relPath,
        quarantineDir: ctx.config.paths.quarantine,
        pipeline,
        sha256,
        report,
      });
      ctx.logger.warn({ file: candidate.path, quarantinedAs: where, set: set.setKey }, 'member of a rejected set set aside');
    } catch (err) {
      const error = coerceError(err);
      ctx.logger.error({ err: error, file: candidate.path }, 'member of a rejected set could not be set aside');
      return error;
    }
  }
  return undefined;
}
