import { shortened } from './storable.js';

/** One refused row or value, located in the file. */
export interface RowIssue {
  line: number;
  /** CSV header of the offending field, when one field is to blame. */
  column?: string;
  /** Character of the line (1-based) where a record that cannot be read goes wrong, when known. */
  at?: number;
  value?: string;
  reason: string;
}

/** A rejection report keeps this many issues; the count of the rest is kept too. */
export const REPORT_LIMIT = 100;

/** Characters of a value, header or reason an issue keeps (a value may be a whole 8 MiB field). */
export const SHOWN_CHARS = 1000;

/** Characters of a bad record kept in quarantine_rows. */
export const RAW_CHARS = 64 * 1024;

/** A refused record, as kept in quarantine_rows. */
export interface BadRow {
  line: number;
  raw: string;
  reason: string;
}

/** `issue` with its value, header and reason shortened() to SHOWN_CHARS: what reports and ledgers keep. */
export function shown<T extends RowIssue>(issue: T): T {
  const kept = { ...issue, reason: shortened(issue.reason, SHOWN_CHARS) };
  if (issue.column !== undefined) kept.column = shortened(issue.column, SHOWN_CHARS);
  if (issue.value !== undefined) kept.value = shortened(issue.value, SHOWN_CHARS);
  return kept;
}

/** A refused record as quarantine_rows keeps it. */
export function badRow(issue: RowIssue, raw: string): BadRow {
  return { line: issue.line, raw: shortened(raw, RAW_CHARS), reason: formatIssue(issue) };
}

/** "COLUMN: reason", or the reason alone for a whole-record problem. */
export function formatIssue(issue: RowIssue): string {
  return issue.column === undefined ? issue.reason : `${issue.column}: ${issue.reason}`;
}

/** "file:line[:column]: reason", the column a header or a character: what an editor or a person can jump to (line 0: not known). */
export function locate(file: string, issue: RowIssue): string {
  if (issue.line <= 0) return `${file}: ${formatIssue(issue)}`;
  const column = issue.column ?? issue.at;
  return `${file}:${issue.line}${column === undefined ? '' : `:${column}`}: ${issue.reason}`;
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
    ...report.issues.map((issue) => `${locate(report.file, issue)}${issue.value === undefined ? '' : ` [${JSON.stringify(issue.value)}]`}`),
  ];
  if (report.more > 0) lines.push(`... and ${report.more} more`);
  lines.push('', 'Fix the file and put it back in the source directory: a changed file (new content) is loaded on the next run.', '');
  return lines.join('\n');
}
