import path from 'node:path';
import { coerceError, NocturneError } from '../../../core/errors.js';
import type { Candidate, Fetched } from '../sources.js';
import { metadataFor } from './group-files.js';
import { metadataFile, type MetadataFile, type MetadataPart } from './metadata.js';
import { locateIssue, parseMember, SetIssues } from './parse-member.js';
import type { RunState } from './run-state.js';

const PARTS = ['frcInfo', 'observatory'] as const;

/** Why set `setKey` (a member: `near`) cannot load yet: a metadata file of its code, expected beside it, not in the source. */
export function absentMetadata(state: RunState, setKey: string, near: Candidate): NocturneError | undefined {
  const absent = PARTS.filter((part) => !metadataFor(state.listing.metadata.get(part), near)).map((part) => state.plan.grammar.metadata[part]);
  if (absent.length === 0) return undefined;
  const where = path.dirname(near.path);
  return new NocturneError('FILESET_INCOMPLETE', `${absent.map((name) => path.join(where, name)).join(', ')}: metadata file not found; set ${setKey} stays pending`);
}

/**
 * Reads (once per run) the metadata files of the set beside `near` (see absentMetadata());
 * returns why they cannot be used, if so: the first located issue of the file.
 */
export async function metadataOf(state: RunState, near: Candidate, into: Map<MetadataPart, MetadataFile>): Promise<NocturneError | undefined> {
  for (const part of PARTS) {
    const candidate = metadataFor(state.listing.metadata.get(part), near)!;
    let parsed = state.metadata.get(candidate.path);
    if (!parsed) {
      parsed = readMetadata(state, part, candidate);
      state.metadata.set(candidate.path, parsed);
    }
    const file = await parsed;
    if (file instanceof NocturneError) return file;
    into.set(part, file);
  }
  return undefined;
}

async function readMetadata(state: RunState, part: MetadataPart, candidate: Candidate): Promise<MetadataFile | NocturneError> {
  const { ctx, plan } = state;
  const issues = new SetIssues();
  const pending = `the sets of ${ctx.pipeline.config.code.name} stay pending`;
  let fetched: Fetched | undefined;
  try {
    fetched = await state.source.fetch(candidate, ctx.signal);
    const parsed = await parseMember(candidate.path, fetched.body, state.stage.csv, plan.specs.get(part)!, issues);
    if (parsed && issues.empty) return metadataFile(part, plan.metadataTables[part], plan.naturalKeys[part], parsed);
    ctx.logger.error({ file: candidate.path, issues: issues.list.map(locateIssue) }, 'metadata file refused');
    const first = issues.list[0];
    return new NocturneError('CSV_INVALID', `${first ? locateIssue(first) : `${candidate.path}: unreadable`}; ${pending}`);
  } catch (err) {
    const error = coerceError(err, 'TRANSFER_FAILED');
    ctx.logger.error({ err: error, file: candidate.path }, 'metadata file could not be read');
    return new NocturneError(error.code, `${candidate.path}: ${error.message}; ${pending}`, { retryable: error.retryable, cause: err });
  } finally {
    await fetched?.release();
  }
}
