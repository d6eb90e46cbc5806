import path from 'node:path';
import { coerceError, NocturneError } from '../../../core/errors.js';
import type { Candidate, Fetched } from '../common/sources.js';
import { metadataFor, type ListedSet } from './group-files.js';
import { metadataFile, type MetadataFile, type MetadataPart } from './metadata.js';
import { parseMember, SetIssues, type SetIssue } from './parse-member.js';
import type { ReadMetadata, SetsIngestState } from './run-state.js';

const PARTS = ['frcInfo', 'observatory'] as const;

/** What a set's metadata files are, for one run. */
export type SetMetadata =
  /** A declared file is not in the source: the set waits for it, as for a missing member. */
  | { kind: 'missing'; names: string }
  /** A file is there but unusable (bad header, bad field, local id twice): the set is rejected with its issues. */
  | { kind: 'unusable'; issues: SetIssue[]; more: number; used: MetadataUsed[] }
  | { kind: 'ready'; files: Map<MetadataPart, MetadataFile>; used: MetadataUsed[] };

/** A metadata file a set was read with: recorded in the ledger, part of what a rejection is decided under. */
export interface MetadataUsed {
  role: MetadataPart;
  path: string;
  sha256: string;
}

/**
 * The metadata files of a set (the first of the names declared for each part, see
 * metadataFor()), each read once per run. A fetch failure is thrown: not the set's
 * fault, it stays pending.
 */
export async function metadataOf(state: SetsIngestState, set: ListedSet, near: Candidate): Promise<SetMetadata> {
  const { listing, plan } = state;
  const found = PARTS.map((part) => [part, metadataFor(listing, plan.grammar, part, set, near)] as const);
  const absent = found.filter(([, candidate]) => !candidate);
  if (absent.length > 0) {
    const where = path.dirname(near.path);
    const names = absent
      .map(([part]) =>
        plan.grammar
          .metadataNames(part, set.obs)
          .map((name) => path.join(where, name))
          .join(' or '),
      )
      .join(', and ');
    return { kind: 'missing', names: `its metadata file ${names} has not arrived` };
  }
  const files = new Map<MetadataPart, MetadataFile>();
  const used: MetadataUsed[] = [];
  for (const [part, candidate] of found) {
    let read = state.metadata.get(candidate!.path);
    if (!read) {
      read = readMetadata(state, part, candidate!);
      state.metadata.set(candidate!.path, read);
    }
    const file = await read;
    used.push({ role: part, path: file.path, sha256: file.sha256 });
    if ('issues' in file) return { kind: 'unusable', issues: file.issues, more: file.more, used };
    files.set(part, file.file);
  }
  return { kind: 'ready', files, used };
}

async function readMetadata(state: SetsIngestState, part: MetadataPart, candidate: Candidate): Promise<ReadMetadata> {
  const { ctx, plan } = state;
  const issues = new SetIssues();
  let fetched: Fetched | undefined;
  try {
    fetched = await state.source.fetch(candidate, ctx.signal);
    const parsed = await parseMember(candidate.path, fetched.body, plan.specs.get(part)!, issues);
    const file = parsed && metadataFile(part, plan.metadataTables[part], plan.naturalKeys[part], parsed, issues);
    if (file && issues.empty) return { file, sha256: fetched.sha256, path: candidate.path };
    ctx.logger.error({ file: candidate.path, issues: issues.list }, 'metadata file refused: the sets that need it are rejected');
    return { issues: issues.list, more: issues.more, sha256: fetched.sha256, path: candidate.path };
  } catch (err) {
    const error = coerceError(err, 'TRANSFER_FAILED');
    ctx.logger.error({ err: error, file: candidate.path }, 'metadata file could not be fetched');
    throw new NocturneError(
      error.code,
      `${candidate.path}: ${error.message}; the sets of ${ctx.pipeline.config.code.name} that need it stay pending`,
      {
        retryable: error.retryable,
        cause: err,
      },
    );
  } finally {
    await fetched?.release();
  }
}
