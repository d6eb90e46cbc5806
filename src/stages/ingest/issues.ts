import type { RowIssue } from './row-encoder.js';

/** A rejection report keeps this many issues; the count of the rest is kept too. */
export const REPORT_LIMIT = 100;

/** A refused record, as kept in quarantine_rows. */
export interface BadRow {
  line: number;
  raw: string;
  reason: string;
}

/** "COLUMN: reason", or the reason alone for a whole-record problem. */
export function formatIssue(issue: RowIssue): string {
  return issue.column === undefined ? issue.reason : `${issue.column}: ${issue.reason}`;
}

/** "file:line[:column]: reason": what an editor or a person can jump to (line 0: not known). */
export function locate(file: string, issue: RowIssue): string {
  if (issue.line <= 0) return `${file}: ${formatIssue(issue)}`;
  return `${file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}: ${issue.reason}`;
}

/** PostgreSQL text and jsonb cannot hold NUL: show it instead of failing to record it. */
export function storable(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\\0') : text;
}

export interface RejectionReport {
  file: string;
  sha256: string;
  pipeline: string;
  table: string;
  summary: string;
  issues: readonly RowIssue[];
  /** Issues found beyond those listed. */
  more: number;
}

/** The .report.txt written beside a file set aside in the quarantine directory. */
export function formatReport(report: RejectionReport): string {
  const lines = [
    `nocturne ingest: file rejected, nothing of it was loaded`,
    `file:     ${report.file}`,
    `sha256:   ${report.sha256}`,
    `pipeline: ${report.pipeline}`,
    `table:    ${report.table}`,
    `reason:   ${report.summary}`,
    '',
    'issues (file:line[:column]: reason [value]):',
    ...report.issues.map(
      (issue) => `${locate(report.file, issue)}${issue.value === undefined ? '' : ` [${JSON.stringify(issue.value)}]`}`,
    ),
  ];
  if (report.more > 0) lines.push(`... and ${report.more} more`);
  lines.push(
    '',
    'Fix the file and put it back in the source directory: a changed file (new content) is loaded on the next run.',
    '',
  );
  return lines.join('\n');
}
