import { clip } from '../core/printable.js';
import { STAGES, type StageName } from '../config/schema.js';
import type { NocturneConfig } from '../config/types.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import type { Logger } from '../log/logger.js';
import { executeStage, outcomeWord, type ExecuteResult } from '../stages/execute.js';
import { applyRetry, type RetryApplied } from './retry-apply.js';
import { findRetryCandidates, type RetryCandidate, type RetrySelection } from './retry-select.js';

export interface RetryDeps {
  config: NocturneConfig;
  db: Db;
  logger: Logger;
  print: (line: string) => void;
  /** Passed to the stages run with `now` (the command's SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export interface RetryRequest {
  selection: RetrySelection;
  by: string;
  dryRun?: boolean;
  /** Run each stage concerned at once, rather than at its next slot. */
  now?: boolean;
}

export interface RetryReport {
  candidates: RetryCandidate[];
  applied: RetryApplied | null;
  /** With `now`: each stage run, in pipeline order. */
  runs: Array<{ stage: StageName; result: ExecuteResult }>;
}

/**
 * `nocturne retry`: lists what failed in the selection, puts it back in line for the
 * stage's next run (recording who asked), and with `now` runs those stages at once,
 * as manual runs of the history, in pipeline order (run, upload, ingest).
 */
export async function retry(deps: RetryDeps, req: RetryRequest): Promise<RetryReport> {
  const candidates = await findRetryCandidates(deps.db, req.selection, { quarantineDir: deps.config.paths.quarantine });
  const verb = req.dryRun ? 'would retry' : 'retrying';
  for (const c of candidates) deps.print(describe(c, c.blocked ? 'not now' : verb));
  const ready = candidates.filter((c) => !c.blocked);
  deps.print(
    `${req.selection.pipeline}: ${ready.length} item(s) to retry${candidates.length > ready.length ? `, ${candidates.length - ready.length} not now` : ''}${req.dryRun ? ' (dry run: nothing changed)' : ''}`,
  );
  if (req.dryRun || ready.length === 0) return { candidates, applied: null, runs: [] };

  const applied = await applyRetry(deps.db, req.selection, candidates, req.by);
  for (const { item, error } of applied.unmoved) {
    deps.print(`${item.item}: ${item.stage === 'ingest' ? 'not retried' : 'recorded as retried, but left in the quarantine'}: ${error}`);
  }
  const ids = applied.actionId === null ? [...new Set(applied.retried.map((i) => i.recordedBy))] : [applied.actionId];
  deps.print(
    ids.length === 0
      ? `${req.selection.pipeline}: nothing put back in line, nothing recorded${applied.unmoved.length > 0 ? '' : ': the items changed meanwhile (another retry, or a run, took them)'}`
      : `retry #${ids.join(', #')}: ${applied.retried.length} item(s) back in line${req.now ? '' : " for each stage's next run"}`,
  );
  const runs: RetryReport['runs'] = [];
  if (!req.now) return { candidates, applied, runs };

  const { pipeline } = req.selection;
  for (const stage of STAGES.filter((s) => applied.retried.some((i) => i.stage === s))) {
    // A manual run stands for the moment it was asked for, as `nocturne run` does.
    const result = await executeStage(
      { config: deps.config, db: deps.db, logger: deps.logger, print: deps.print, ...(deps.signal ? { signal: deps.signal } : {}) },
      { pipeline, stage, slot: new Date(), trigger: 'manual' },
    );
    runs.push({ stage, result });
    if (result.kind === 'not-run') {
      deps.print(`${req.selection.pipeline}/${stage}: not run now: ${result.reason}; the items wait for its next run`);
    } else {
      deps.print(`${req.selection.pipeline}/${stage}: run ${result.runId}: ${outcomeWord(result.outcome)}: ${result.outcome.summary}`);
    }
  }
  const first = runs.find((r) => r.result.kind === 'done');
  const { actionId } = applied;
  if (first?.result.kind === 'done' && actionId !== null) {
    const runId = first.result.runId;
    await inDatabase(`retry #${actionId}: recording its run`, () =>
      deps.db.none('UPDATE operator_actions SET run_id = $2 WHERE id = $1', [actionId, runId]),
    );
  }
  return { candidates, applied, runs };
}

function describe(c: RetryCandidate, verb: string): string {
  const said = c.previous['last_error'] ?? c.previous['error'];
  const error = clip((typeof said === 'string' ? said : '').split('\n')[0]!, 160);
  const why = c.blocked
    ? `: ${c.blocked}`
    : c.recordedBy !== undefined
      ? ` (retry #${c.recordedBy} recorded, its move back cut short)`
      : error
        ? ` (${error})`
        : '';
  return `${verb}: ${c.stage} ${c.kind} ${c.item}, failed ${c.failedAt.toISOString().slice(0, 19)}Z${why}`;
}
