import { listActions, type ActionRow } from '../../operations/operator.js';
import { listRuns, type RunRow } from '../../runs/runs.js';
import { printable } from '../../core/printable.js';
import { checkPipeline, wholeNumber } from '../options.js';
import { loadOrExit, withDb, type CliOptions } from '../runtime.js';

interface HistoryOptions extends CliOptions {
  limit: string;
}

export async function historyCommand(pipeline: string | undefined, options: HistoryOptions): Promise<void> {
  const limit = wholeNumber('--limit', options.limit, 1, 1000);
  const config = await loadOrExit(options);
  if (pipeline !== undefined) checkPipeline(config, pipeline);
  const filter = { ...(pipeline ? { pipeline } : {}), limit };
  const [runs, actions] = await withDb(config, (db) => Promise.all([listRuns(db, filter), listActions(db, filter)]));
  process.stdout.write(formatHistory(runs) + formatActions(actions));
}

/**
 * Pauses, resumes and retries: who asked, when, and what (after the runs, newest first);
 * what a person typed (a reason, a name) printable whatever the database holds.
 */
export function formatActions(actions: ActionRow[]): string {
  if (actions.length === 0) return '';
  const what = (a: ActionRow): string => {
    if (a.action === 'pause') {
      return typeof a.details['reason'] === 'string' && a.details['reason'] !== '' ? printable(a.details['reason']) : '-';
    }
    if (a.action === 'resume') return `${(a.details['lifted'] as unknown[] | undefined)?.length ?? 0} stage(s) lifted`;
    const items = Object.entries((a.details['items'] as Record<string, number> | undefined) ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `${items}${a.runId === null ? '' : ` run ${a.runId}`}`;
  };
  const rows = actions.map((a) => [
    `#${a.id}`,
    a.action,
    a.stage ? `${a.pipeline}/${a.stage}` : a.pipeline,
    a.askedAt.toISOString(),
    printable(a.askedBy),
    what(a),
  ]);
  const header = ['ACTION', 'WHAT', 'PIPELINE/STAGE', 'ASKED AT', 'BY', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return ['', line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatHistory(runs: RunRow[]): string {
  if (runs.length === 0) return 'no runs yet\n';
  const rows = runs.map((r) => [
    String(r.id),
    `${r.pipeline}/${r.stage}`,
    r.slot.toISOString(),
    r.trigger,
    r.state,
    r.finished_at ? `${((r.finished_at.getTime() - r.started_at.getTime()) / 1000).toFixed(1)}s` : '-',
    r.error
      ? oneLine(r.id, r.error)
      : Object.entries(r.stats)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
  ]);
  const header = ['RUN', 'PIPELINE/STAGE', 'SLOT', 'TRIGGER', 'STATE', 'TOOK', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/**
 * A run's error on its row: its first line, which counts what failed and names the first
 * failure (see stages/run/outcomes.ts); the other lines, one failure each, are for
 * `nocturne logs <run>`.
 */
function oneLine(run: number, text: string): string {
  const [first = '', ...rest] = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return rest.length === 0 ? first : `${first} (${rest.length} more line${rest.length === 1 ? '' : 's'}: nocturne logs ${run})`;
}
