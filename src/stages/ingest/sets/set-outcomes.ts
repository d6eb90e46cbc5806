import { coerceError, type NocturneError } from '../../../core/errors.js';
import { formatDuration } from '../../../config/durations.js';
import { databaseError, failureOf, isDatabaseUnavailable, sqlState } from '../../../db/errors.js';
import type { Candidate } from '../common/sources.js';
import type { SetResult } from './load-set.js';
import type { TrackResult } from './load-track.js';
import { locate } from '../common/issues.js';
import type { SetIssues } from './parse-member.js';
import type { Member, SetsIngestState } from './run-state.js';
import { setAsideSet } from './set-aside-set.js';
import { recordRejected, recordWaiting, type SetEntry } from './set-ledger.js';

/** Counts and records what became of one set; returns an error worth reporting, if any. */
export async function outcome(
  state: SetsIngestState,
  entry: SetEntry,
  members: Member[],
  issues: SetIssues,
  result: SetResult | TrackResult,
): Promise<NocturneError | undefined> {
  const { ctx, tally } = state;
  switch (result.kind) {
    case 'busy':
    case 'done':
      tally.skipped++;
      ctx.logger.debug({ set: entry.setKey, why: result.kind }, 'set loaded or being loaded by another process; skipped');
      return undefined;
    case 'loaded':
      tally.add(result.rows, result.replaced !== undefined);
      ctx.logger.debug({ set: entry.setKey, loadId: result.loadId, rows: result.rows, replaced: result.replaced }, 'set loaded');
      if ('untrackable' in result && result.untrackable) tally.untrackable += result.untrackable;
      for (const { track, rows } of ('untracked' in result && result.untracked) || []) {
        tally.untracked += rows;
        ctx.logger.warn(
          { set: entry.setKey, loadId: result.loadId, track, rows },
          `${track}: ${rows} tracking rows removed: their features are not in the new content of ${entry.setKey}`,
        );
      }
      return undefined;
    case 'refused':
      tally.refused++;
      ctx.logger.warn({ set: entry.setKey, error: result.error }, 're-emitted set refused (reemitted: keep)');
      return undefined;
    case 'waiting':
      return wait(state, entry, members, `features of ${result.missing.join(', ')} not loaded`);
    case 'rejected':
      if (result.error !== undefined) issues.add({ file: entry.setKey, line: 0, reason: result.error });
      return reject(state, entry, members, issues);
  }
}

/** Records a rejected set (durably) and sets its local files aside. */
export async function reject(
  state: SetsIngestState,
  entry: SetEntry,
  members: Member[],
  issues: SetIssues,
): Promise<NocturneError | undefined> {
  const { ctx, tally } = state;
  const first = issues.list[0];
  let error = first
    ? first.line === 0 && first.file === entry.setKey
      ? first.reason
      : locate(first.file, first)
    : `${entry.setKey}: rejected`;
  if (ctx.dryRun) {
    tally.rejected++;
    ctx.print(`reject ${entry.setKey}: ${error}`);
    return undefined;
  }
  try {
    await state.connections.with(() => recordRejected(ctx.db, entry, error, issues.list, issues.more));
  } catch (err) {
    if (failureOf(err) !== 'input') return notLoaded(state, entry.setKey, databaseError(err, `${entry.setKey}: recording its rejection`));
    // The report itself refused: the set is still rejected, with its first error, lest it be tried and fail every run.
    error = `${error} (PostgreSQL refused the report of its rejection: ${(err as Error).message})`;
    try {
      await state.connections.with(() => recordRejected(ctx.db, entry, error, [], 0));
    } catch (again) {
      return notLoaded(state, entry.setKey, databaseError(again, `${entry.setKey}: recording its rejection`));
    }
  }
  tally.rejected++;
  ctx.logger.error({ set: entry.setKey, error }, 'set rejected');
  if (!state.source.local) return undefined;
  return setAsideSet(ctx, { setKey: entry.setKey, members: asidePairs(members), summary: error, issues: issues.list, more: issues.more });
}

/** Records an incomplete set as waiting, or as rejected (incomplete) once initWait is over. */
export async function wait(
  state: SetsIngestState,
  entry: SetEntry,
  members: Member[],
  missing: string,
): Promise<NocturneError | undefined> {
  const { ctx, tally } = state;
  const label = members[0]?.candidate.path ?? entry.setKey;
  const error = `${label}: ${missing} (waited ${formatDuration(state.plan.initWaitMs)})`;
  let result: 'waiting' | 'expired' | 'loaded';
  try {
    result = await state.connections.with(() => recordWaiting(ctx.db, entry, state.plan.initWaitMs, error, state.plan.listedFrom));
  } catch (err) {
    return notLoaded(state, entry.setKey, databaseError(err, `${entry.setKey}: recording it as waiting`));
  }
  if (result === 'loaded') {
    tally.skipped++;
    ctx.logger.info({ set: entry.setKey }, 'set loaded complete by another process since it was listed; skipped');
    return undefined;
  }
  if (result === 'waiting') {
    tally.waiting++;
    ctx.logger.info({ set: entry.setKey, missing }, 'set incomplete; waiting');
    return undefined;
  }
  tally.rejected++;
  ctx.logger.error({ set: entry.setKey, error }, 'set still incomplete after initWait: rejected');
  if (!state.source.local) return undefined;
  const issue = { file: label, line: 0, reason: error };
  return setAsideSet(ctx, { setKey: entry.setKey, members: asidePairs(members), summary: error, issues: [issue], more: 0 });
}

/**
 * A rejected set's members in the order they are set aside, its init first: a run killed
 * between two moves then leaves features waiting for their init (reported, then rejected
 * as incomplete), never an init file alone that the next run would load without them.
 */
export function asidePairs(members: readonly Member[]): { candidate: Candidate; sha256: string }[] {
  const initFirst = [...members].sort((a, b) => Number(b.role === 'init') - Number(a.role === 'init'));
  return initFirst.map((m) => ({ candidate: m.candidate, sha256: m.fetched.sha256 }));
}

/**
 * A set not loaded for a reason that is not its own: counted failed (tried again next
 * run), or left to the caller to count pending when the database is out of reach.
 */
export function notLoaded(state: SetsIngestState, setKey: string, error: NocturneError): NocturneError {
  if (isDatabaseUnavailable(error)) return error;
  state.tally.failed++;
  state.ctx.logger.error({ err: error, set: setKey }, 'set not loaded; it stays pending');
  return error;
}

/** A thrown error as a NocturneError: a database one or an unexpected one (a defect) naming the set, ours as it is. */
export function asNocturne(err: unknown, setKey: string): NocturneError {
  return isDatabaseUnavailable(err) || sqlState(err) !== undefined ? databaseError(err, setKey) : coerceError(err, 'INTERNAL', setKey);
}
