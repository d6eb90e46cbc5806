import { plural } from '../core/printable.js';
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
  /** A warning is reported but does not make the configuration invalid. */
  warning?: true;
}

export function problem(path: DocPath, anchor: Anchor, message: string): Problem {
  return { path, anchor, message };
}

export function warning(path: DocPath, anchor: Anchor, message: string): Problem {
  return { path, anchor, message, warning: true };
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
  return unique.sort((a, b) => compare(a.file, b.file) || a.line - b.line || a.col - b.col || compare(a.message, b.message));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.warning ? 'warning: ' : ''}${issue.message}`;
}

/**
 * One `file:line:col: message` line per problem (the form editors and CI annotate),
 * warnings marked `warning:`, then a count.
 */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  const sorted = sortIssues(issues);
  const files = new Set(sorted.map((issue) => issue.file)).size;
  const warnings = sorted.filter((issue) => issue.warning).length;
  const problems = sorted.length - warnings;
  const counted = [
    ...(problems > 0 || warnings === 0 ? [plural(problems, 'problem')] : []),
    ...(warnings > 0 ? [plural(warnings, 'warning')] : []),
  ];
  return [...sorted.map(formatIssue), `${counted.join(', ')} in ${plural(files, 'file')}`].join('\n');
}

/** A value as a message quotes it: at most 60 characters (a file may hold a megabyte where a name goes). */
export function clipped(text: string): string {
  return text.length > 64 ? `${text.slice(0, 60)}…` : text;
}
