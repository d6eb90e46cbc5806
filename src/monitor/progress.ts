import type { StageName } from '../config/schema.js';

/** A running run's progress, the same shape for every stage: "12 of 40 tasks". */
export interface RunProgress {
  /** tasks (run), files (upload and single-CSV ingest), sets (sets ingest). */
  unit: string;
  done: number;
  total: number;
  /** The counters as the stage reported them. */
  counters: Record<string, number | string>;
}

/** "[####....] 3/10" or "3/10" → [3, 10]. */
function fraction(value: number | string | undefined): [number, number] | null {
  const match = /(\d+)\/(\d+)\s*$/.exec(String(value ?? ''));
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * Reads a stage's progress counters (what `nocturne run` shows on the terminal): the
 * run stage counts tasks by state, upload and ingest give "done/total".
 */
export function runProgress(stage: StageName, counters: Record<string, number | string>): RunProgress | null {
  if (stage === 'run') {
    const n = (key: string) => Number(counters[key] ?? 0);
    const done = n('done') + n('failed');
    return { unit: 'tasks', done, total: done + n('pending') + n('running'), counters };
  }
  for (const unit of ['sets', 'files']) {
    const parts = fraction(counters[unit]);
    if (parts) return { unit, done: parts[0], total: parts[1], counters };
  }
  return null;
}
