import { coerceError, NocturneError } from '../../../core/errors.js';
import type { Candidate, Fetched } from '../sources.js';
import { metadataFor } from './group-files.js';
import { metadataFile, type MetadataFile, type MetadataPart } from './metadata.js';
import { locateIssue, parseMember, SetIssues } from './parse-member.js';
import type { RunState } from './run-state.js';

/** Reads (once per run) the metadata files of the set beside `near`; returns why they cannot be used, if so. */
export async function metadataOf(state: RunState, near: Candidate, into: Map<MetadataPart, MetadataFile>): Promise<NocturneError | undefined> {
  for (const part of ['frcInfo', 'observatory'] as const) {
    const candidate = metadataFor(state.listing.metadata.get(part), near)!;
    let parsed = state.metadata.get(candidate.path);
    if (!parsed) {
      parsed = readMetadata(state, part, candidate);
      state.metadata.set(candidate.path, parsed);
    }
    const file = await parsed;
    if (!file) return new NocturneError('CSV_INVALID', `${candidate.path}: metadata file unusable (see the log); the sets of ${state.ctx.pipeline.config.code.name} stay pending`);
    into.set(part, file);
  }
  return undefined;
}

async function readMetadata(state: RunState, part: MetadataPart, candidate: Candidate): Promise<MetadataFile | undefined> {
  const { ctx, plan } = state;
  const issues = new SetIssues();
  let fetched: Fetched | undefined;
  try {
    fetched = await state.source.fetch(candidate, ctx.signal);
    const parsed = await parseMember(candidate.path, fetched.body, state.stage.csv, plan.specs.get(part)!, issues);
    if (parsed && issues.empty) return metadataFile(part, plan.metadataTables[part], plan.naturalKeys[part], parsed);
    ctx.logger.error({ file: candidate.path, issues: issues.list.map(locateIssue) }, 'metadata file refused');
    return undefined;
  } catch (err) {
    ctx.logger.error({ err: coerceError(err), file: candidate.path }, 'metadata file could not be read');
    return undefined;
  } finally {
    await fetched?.release();
  }
}
