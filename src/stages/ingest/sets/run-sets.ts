import { createHash } from 'node:crypto';
import path from 'node:path';
import { coerceError, type NocturneError } from '../../../core/errors.js';
import { Permits } from '../../../core/permits.js';
import type { SetRole } from '../../../config/schema.js';
import type { SetsIngestConfig } from '../../../config/types.js';
import { nightZone, observingNight } from '../../nights.js';
import type { StageContext, StageOutcome } from '../../types.js';
import { databaseError, failureOf, isDatabaseUnavailable, sqlState, unlessUnreachable } from '../../../db/errors.js';
import { rollback } from '../common/rollback.js';
import { fetchFiles, loadsInFlight, releaseAll, workLoop } from '../common/work-loop.js';
import type { Candidate, IngestSource } from '../common/sources.js';
import { groupFiles, type ListedSet } from './group-files.js';
import { loadSet, type SetResult } from './load-set.js';
import { loadTrack, type TrackResult } from './load-track.js';
import { metadataOf, type SetMetadata } from './metadata-files.js';
import { MetadataCache } from './metadata.js';
import { parseMember, SetIssues, type ParsedMember } from './parse-member.js';
import type { Member, SetsIngestState } from './run-state.js';
import { setAsideSet } from './set-aside-set.js';
import { contentHash, knownContents, listedUnchanged, type LedgerStatus, type SetEntry } from './set-ledger.js';
import { asidePairs, asNocturne, notLoaded, outcome, reject, wait } from './set-outcomes.js';
import { SetTally } from './set-tally.js';
import { SetGroups } from './set-groups.js';
import { SetConnection } from './set-connection.js';
import { compilePlan, type SetsPlan, type SpecName } from './sets-plan.js';
import { firstSighting, warnPassedOver } from '../../../log/first-sighting.js';

/**
 * One sets-mode ingest run over one source: list, group into sets (init + feat, by set
 * key) and track files, drop what the ledger already holds, then load each set in one
 * transaction, a few at a time; track files after the sets (they point at features).
 * A bad set is rejected whole and its local files set aside; an incomplete one waits
 * up to initWait. See workLoop for a stop request and a database out of reach.
 */
export async function ingestSets(ctx: StageContext, stage: SetsIngestConfig, source: IngestSource, host: string): Promise<StageOutcome> {
  const tally = new SetTally();
  const { code } = ctx.pipeline.config;
  let plan: SetsPlan;
  try {
    plan = await compilePlan(ctx.db, stage, code);
  } catch (err) {
    const error = coerceError(err);
    if (!isDatabaseUnavailable(error)) throw error;
    return tally.outcome(error, undefined);
  }
  const { candidates, passedOver } = await source.list();
  const listing = groupFiles(candidates, plan.grammar);
  tally.passedOver = passedOver.length;
  warnPassedOver(ctx.logger, `${ctx.pipeline.config.name}/ingest`, passedOver, 'source entry not ingested');
  tally.files = [...listing.sets, ...listing.tracks].reduce((n, set) => n + [...set.members.values()].flat().length, 0);
  tally.sets = listing.sets.length + listing.tracks.length;
  tally.unmatched = listing.strays.length;
  for (const stray of listing.strays) {
    if (firstSighting(ctx.pipeline.config.name, stray.path)) {
      ctx.logger.warn(
        { file: stray.path },
        'file name matches no pattern of the pipeline (no set member, track or metadata file): ignored',
      );
    }
  }
  let known: SetsIngestState['known'];
  try {
    known = await knownContents(
      ctx.db,
      source.key,
      [...listing.sets, ...listing.tracks].map((s) => s.key),
    );
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    tally.pending = tally.sets;
    return tally.outcome(databaseError(err, `${ctx.pipeline.config.name}: reading the sets ledger`), undefined);
  }
  const state: SetsIngestState = {
    ctx,
    stage,
    source,
    host,
    plan,
    listing,
    known,
    tally,
    cache: new MetadataCache(),
    metadata: new Map(),
    groups: new SetGroups(ctx.logger),
    connections: new Permits(loadsInFlight(ctx)),
    readAhead: new Permits(READ_AHEAD_BYTES),
  };
  let firstError: NocturneError | undefined;
  // Track files after the sets: they point at features.
  for (const batch of [listing.sets, listing.tracks]) {
    const end = await workLoop({
      ctx,
      unit: 'set',
      items: batch,
      keyOf: (set) => set.key,
      tally,
      load: (set) => processSet(state, set).catch((err: unknown) => notLoaded(state, set.key, asNocturne(err, set.key))),
      settled: (set, error) => {
        ctx.events?.emit(error ? { type: 'set', key: set.key, error: error.message } : { type: 'set', key: set.key });
        ctx.progress.update({ sets: `${tally.loaded + tally.skipped + tally.rejected + tally.waiting}/${tally.sets}`, rows: tally.rows });
      },
      workers: ctx.dryRun ? 1 : SETS_IN_FLIGHT,
    });
    firstError ??= end.firstError;
    if (end.stopped) {
      if (batch === listing.sets) tally.pending += listing.tracks.length;
      return tally.outcome(end.stopped, firstError);
    }
  }
  return tally.outcome(undefined, firstError);
}

/** Fetches, checks and loads one set or track file; returns an error worth reporting, if any. */
async function processSet(state: SetsIngestState, set: ListedSet): Promise<NocturneError | undefined> {
  const { ctx, tally } = state;
  const settled = state.known.settled.get(set.key);
  const listed = [...set.members.values()].flat();
  const unchanged = settled !== undefined && listedUnchanged(settled.members, listed);
  const skip = () => {
    tally.skipped++;
    if (ctx.dryRun) ctx.print(`skip  ${set.key} (unchanged since ${settled!.status})`);
    return undefined;
  };
  // Loaded or refused before, files untouched since.
  if (unchanged && settled.status !== 'rejected') return skip();
  // What the set is read under (the pipeline, its metadata files): a set rejected under
  // something else is read again; a local rejected set is read again to be set aside.
  const context = await readingContext(state, set, listed[0]!);
  if (unchanged && !state.source.local && settled.rejectedUnder === context.fingerprint) {
    return skip();
  }
  const roles = [...set.members].flatMap(([role, candidates]) => candidates.map((candidate) => ({ role, candidate })));
  const bytes = listed.reduce((n, candidate) => n + candidate.sizeBytes, 0);
  return state.readAhead.with(async () => {
    const got = await fetchFiles(
      ctx,
      state.source,
      roles.map((r) => r.candidate),
      { unit: 'set', key: set.key, tally },
    );
    if (got.kind === 'not fetched') return got.error;
    const members: Member[] = roles.map((r, i) => ({ ...r, fetched: got.fetched[i]! }));
    try {
      return await decide(state, set, members, context);
    } finally {
      await releaseAll(got.fetched);
    }
  }, bytes);
}

/** What a set is read under: its metadata files (a set, not a track file) and the fingerprint of them with the pipeline's. */
interface ReadingContext {
  metadata: SetMetadata | undefined;
  fingerprint: string;
}

async function readingContext(state: SetsIngestState, set: ListedSet, near: Candidate): Promise<ReadingContext> {
  const metadata = set.kind === 'set' ? await metadataOf(state, set, near) : undefined;
  const used = metadata && metadata.kind !== 'missing' ? metadata.used : [];
  const lines = used.map((m) => `${m.role}:${m.sha256}\n`).sort();
  return {
    metadata,
    fingerprint: createHash('sha256')
      .update(`${state.plan.fingerprint}\n${lines.join('')}`)
      .digest('hex'),
  };
}

async function decide(
  state: SetsIngestState,
  set: ListedSet,
  members: Member[],
  context: ReadingContext,
): Promise<NocturneError | undefined> {
  const { ctx, tally, source } = state;
  const { config } = ctx.pipeline;
  const records = members.map((m) => ({
    role: m.role,
    path: m.candidate.path,
    sha256: m.fetched.sha256,
    size: m.fetched.sizeBytes,
    ...(m.candidate.modifiedAt ? { modified: m.candidate.modifiedAt.toISOString() } : {}),
  }));
  const contentSha256 = contentHash(records);
  const recorded = state.known.contents.get(set.key);
  const status = recorded?.get(contentSha256);
  // A rejection decided under another configuration or other metadata files is tried again.
  const retrying = status === 'rejected' && state.known.rejectedUnder.get(set.key)?.get(contentSha256) !== context.fingerprint;
  const entry: SetEntry = {
    source: source.key,
    pipeline: config.name,
    code: config.code.name,
    codeVersion: config.code.version,
    setKey: set.key,
    reemissionKey: set.reemissionKey,
    kind: set.kind,
    contentSha256,
    members: records,
    runId: ctx.runId,
    host: state.host,
    night: observingNight(set.key, nightZone(config, state.stage.timezone)),
    readUnder: context.fingerprint,
    retrying,
  };
  const metadata = context.metadata;
  const missing = missingInit(state, set, members) ?? (metadata?.kind === 'missing' ? metadata.names : undefined);
  // A replaced content emitted again is new again: it replaces the load that replaced it.
  // One rejected as incomplete is tried again once its missing member is there.
  if (status && status !== 'waiting' && status !== 'replaced' && !retrying && !(status === 'incomplete' && !missing)) {
    return settledEarlier(state, set.key, status, members);
  }
  const issues = new SetIssues();
  const doubled = [...set.members].filter(([, files]) => files.length > 1);
  for (const [role, files] of doubled) {
    issues.add({
      file: files[0]!.path,
      line: 0,
      reason: `${files.length} files have the role ${role} in set ${set.key}: ${files.map((f) => f.path).join(', ')}`,
    });
  }
  // A stamp that is no date would leave the set without a night, out of every night's view.
  const stamp = NAME_STAMP.exec(set.key)?.[0];
  if (stamp !== undefined && entry.night === null) {
    issues.add({
      file: members[0]!.candidate.path,
      line: 0,
      reason: `${stamp} in the file name is not a real date and time (YYYYMMDDTHHMMSS, UTC): the set would have no observing night`,
    });
  }
  if (!issues.empty) return reject(state, entry, members, issues);

  if (missing) {
    if (ctx.dryRun) {
      tally.waiting++;
      ctx.print(`wait  ${set.key} (${missing})`);
      return undefined;
    }
    return wait(state, entry, members, missing);
  }
  // A metadata file that is there but cannot be used rejects the sets that need it, with its issues.
  if (metadata?.kind === 'unusable') {
    for (const issue of metadata.issues) issues.add(issue);
    issues.more += metadata.more;
    return reject(state, entry, members, issues);
  }
  if (ctx.dryRun) {
    ctx.print(`load  ${set.key} (${members.map((m) => path.posix.basename(m.candidate.relPath)).join(', ')})`);
    return undefined;
  }
  const parsed = new Map<SetRole, ParsedMember | undefined>();
  for (const m of members) parsed.set(m.role, await parseMember(m.candidate.path, m.fetched.body, spec(state, m.role), issues));
  if (!issues.empty) return reject(state, entry, members, issues);

  let result: SetResult | TrackResult;
  const conn = new SetConnection(ctx.db, state.connections, set.key);
  let destroy = false;
  try {
    const tables = state.plan.tables;
    result =
      set.kind === 'track'
        ? await loadTrack(conn, {
            tables,
            entry,
            track: parsed.get('track')!,
            grammar: state.plan.grammar,
            issues,
            logger: ctx.logger,
            ledger: ledgerHints(recorded, retrying),
            groups: state.groups,
          })
        : await loadSet(
            conn,
            tables,
            {
              entry,
              init: parsed.get('init')!,
              feat: parsed.get('feat'),
              featName: featName(members),
              metadata: metadata?.kind === 'ready' ? metadata.files : new Map(),
              ledger: ledgerHints(recorded, retrying),
            },
            state.cache,
            issues,
            ctx.logger,
            state.groups,
          );
  } catch (err) {
    destroy = !(await rollback(conn, ctx.logger, set.key));
    if (failureOf(err) !== 'input') {
      const error = sqlState(err) === undefined ? await unlessUnreachable(ctx.db, coerceError(err), set.key) : databaseError(err, set.key);
      return notLoaded(state, set.key, error);
    }
    result = { kind: 'rejected', error: `${set.key}: refused by the database: ${(err as Error).message}` };
  } finally {
    await conn.done(destroy);
  }
  // Still incomplete: rejected for that already.
  if (result.kind === 'waiting' && status === 'incomplete') return settledEarlier(state, set.key, status, members);
  return outcome(state, entry, members, issues, result);
}

/** The observation's date and time that HFC codes put in their file names (see fileNameDate). */
const NAME_STAMP = /(?<!\d)\d{8}T\d{6}(?!\d)/;

/**
 * Sets read and waiting to load at once: more than the connections they may hold (see
 * SetConnection), so that those waiting while a group commits go together in the next
 * one. A set is held parsed, in memory, until it loads: so the files of the sets in
 * flight are also bounded in bytes (a set larger than that goes alone).
 */
const SETS_IN_FLIGHT = 16;
const READ_AHEAD_BYTES = 32 * 1024 * 1024;

/** A content the ledger settled before: skipped (a local rejected one that is still there is set aside). */
async function settledEarlier(
  state: SetsIngestState,
  setKey: string,
  status: LedgerStatus,
  members: Member[],
): Promise<NocturneError | undefined> {
  const { ctx, tally } = state;
  tally.skipped++;
  if (ctx.dryRun) ctx.print(`skip  ${setKey} (same content ${status} earlier)`);
  else if ((status === 'rejected' || status === 'incomplete') && state.source.local) {
    // Rejected by a run that died before moving it away (or put back unchanged): move it now.
    return setAsideSet(ctx, { setKey, members: asidePairs(members), summary: 'rejected earlier (see the ledger)', issues: [], more: 0 });
  }
  return undefined;
}

/** Whether the set key had a live load, or waiting, incomplete or retried rows, when the run began (they may have changed since). */
function ledgerHints(recorded: ReadonlyMap<string, LedgerStatus> | undefined, retrying: boolean): { live: boolean; provisional: boolean } {
  const statuses = [...(recorded?.values() ?? [])];
  return { live: statuses.includes('loaded'), provisional: retrying || statuses.includes('waiting') || statuses.includes('incomplete') };
}

/** What keeps a set from loading now: its init file not there yet. */
function missingInit(state: SetsIngestState, set: ListedSet, members: readonly Member[]): string | undefined {
  if (set.kind === 'track' || set.members.has('init')) return undefined;
  const feat = members[0]!.candidate;
  const initWord = Object.entries(state.stage.sets.roles).find(([, role]) => role === 'init')?.[0] ?? 'init';
  const word = set.words.get(members[0]!.role) ?? '';
  const name = path.posix.basename(feat.relPath).replace(new RegExp(`_${word}(\\.[A-Za-z0-9]+)$`), `_${initWord}$1`);
  return `its init file ${name} has not arrived`;
}

function spec(state: SetsIngestState, role: SetRole) {
  const name: SpecName = role === 'init' ? 'observations' : role === 'feat' ? 'features' : 'tracking';
  return state.plan.specs.get(name)!;
}

function featName(members: readonly Member[]): string | undefined {
  const feat = members.find((m) => m.role === 'feat');
  return feat && path.posix.basename(feat.candidate.relPath);
}
