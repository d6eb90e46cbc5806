import { formatBytes } from '../alerts/evaluate-local.js';
import { formatDuration } from '../config/durations.js';
import type { ResolvedRetention } from '../config/types.js';
import { PRUNE_KINDS, type KindReport, type PruneKind, type PruneReport } from './prune.js';

/** What each kind is, in the words of docs/operating.md (Retention). */
const KIND_WORDS: Record<PruneKind, string> = {
  jobs: 'job directories and task logs',
  runs: 'run history (runs, their jobs and tasks)',
  transferEvents: 'events of closed transfers',
  goneFiles: 'ledger rows of files long gone',
  operatorActions: 'records of pauses, resumes and retries',
  thumbnails: 'thumbnails',
  quarantine: 'quarantined files',
};

export function kindRows(kind: KindReport): number {
  return Object.values(kind.rows).reduce((sum, n) => sum + n, 0);
}

export function totalRows(report: PruneReport): number {
  return PRUNE_KINDS.reduce((sum, k) => sum + kindRows(report.kinds[k]), 0);
}

/** The report as log fields: totals, and each kind's rows and files. */
export function reportFields(report: PruneReport): Record<string, unknown> {
  const files = PRUNE_KINDS.reduce((sum, k) => sum + report.kinds[k].files.files, 0);
  const bytes = PRUNE_KINDS.reduce((sum, k) => sum + report.kinds[k].files.bytes, 0);
  return { dryRun: report.dryRun, rows: totalRows(report), files, bytes, kinds: report.kinds };
}

/** What `nocturne prune` prints: one line per kind, with its age, then the totals. */
export function formatPruneReport(report: PruneReport, retention: ResolvedRetention): string {
  if (report.busy) {
    return "another process is pruning this state database now (the daemon's housekeeping slot?): nothing done; try again later\n";
  }
  const lines = [report.dryRun ? 'would remove (dry run: nothing removed):' : 'removed:'];
  for (const kind of PRUNE_KINDS) {
    const { rows, files } = report.kinds[kind];
    const parts: string[] = [];
    const tables = Object.entries(rows);
    if (tables.length > 0) parts.push(`${kindRows(report.kinds[kind])} row(s) (${tables.map(([t, n]) => `${t} ${n}`).join(', ')})`);
    if (kind === 'jobs' || kind === 'thumbnails' || kind === 'quarantine') {
      parts.push(`${files.files} file(s), ${formatBytes(files.bytes)}`);
    }
    const age = formatDuration(retention[`${kind}Ms`]);
    lines.push(`  ${kind.padEnd(15)} ${parts.join('; ')}  — ${KIND_WORDS[kind]} older than ${age}`);
  }
  const fields = reportFields(report);
  lines.push(`total: ${String(fields['rows'])} row(s), ${String(fields['files'])} file(s), ${formatBytes(Number(fields['bytes']))}`);
  return lines.join('\n') + '\n';
}
