import type { ConfigIssue } from './types.js';

export type { ConfigIssue };

/** A path inside one YAML document: mapping keys and sequence indexes. */
export type DocPath = readonly (string | number)[];

/**
 * Which node a problem points at:
 * - `value`: the offending value (wrong type, bad enum, bad cron...);
 * - `key`: the key itself (an unknown key, a bad record name);
 * - `missing`: the last step of the path is absent, so the parent mapping's key (or its start).
 */
export type Anchor = 'value' | 'key' | 'missing';

/** A problem found in a document's data, before it is given a line and column. */
export interface Problem {
  path: DocPath;
  anchor: Anchor;
  message: string;
}

export function problem(path: DocPath, anchor: Anchor, message: string): Problem {
  return { path, anchor, message };
}

/** `ingest.columns.date_obs`, `run.command[0]`. */
export function formatPath(path: DocPath): string {
  let text = '';
  for (const step of path) text += typeof step === 'number' ? `[${step}]` : text === '' ? step : `.${step}`;
  return text;
}

/** Sorted by file, line, column and message, each problem once. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const line = formatIssue(issue);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
  return unique.sort(
    (a, b) => compare(a.file, b.file) || a.line - b.line || a.col - b.col || compare(a.message, b.message),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** One `file:line:col: message` line per problem (the form editors and CI annotate), then a count. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  const sorted = sortIssues(issues);
  const files = new Set(sorted.map((issue) => issue.file)).size;
  const count = `${sorted.length} problem${sorted.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`;
  return [...sorted.map(formatIssue), count].join('\n');
}
