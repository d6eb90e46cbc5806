import path from 'node:path';
import type { SetRole } from '../../../config/schema.js';
import type { Candidate } from '../common/sources.js';
import type { FileNameGrammar } from './file-names.js';
import type { MetadataPart } from './metadata.js';

export interface ListedSet {
  key: string;
  /** The key with the code version as "*": what another version's re-emission of the set shares. */
  reemissionKey: string;
  kind: 'set' | 'track';
  /** Files by role; more than one file for a role is an error the set is rejected for. */
  members: Map<SetRole, Candidate[]>;
  /** The word of the file names for each role present (to name a missing file). */
  words: Map<SetRole, string>;
  /** {obs} of the file names, for per-set metadata names. */
  obs: string | undefined;
}

export interface Listing {
  sets: ListedSet[];
  tracks: ListedSet[];
  /** Metadata files by base name. */
  metadata: Map<string, Candidate[]>;
  /** Files matching neither a set pattern nor a metadata name. */
  strays: Candidate[];
}

/** Groups listed files into sets (by set key), track files, and the metadata files. */
export function groupFiles(candidates: readonly Candidate[], grammar: FileNameGrammar): Listing {
  const sets = new Map<string, ListedSet>();
  const tracks: ListedSet[] = [];
  const metadata = new Map<string, Candidate[]>();
  const strays: Candidate[] = [];
  for (const candidate of candidates) {
    const name = path.posix.basename(candidate.relPath);
    const named = grammar.read(name);
    if (!named) strays.push(candidate);
    else if (named.kind === 'metadata') metadata.set(name, [...(metadata.get(name) ?? []), candidate]);
    else if (named.role === 'track') {
      tracks.push({
        key: named.key,
        reemissionKey: named.reemissionKey,
        kind: 'track',
        members: new Map([['track', [candidate]]]),
        words: new Map([['track', named.word]]),
        obs: named.obs,
      });
    } else {
      let set = sets.get(named.key);
      if (!set) {
        set = { key: named.key, reemissionKey: named.reemissionKey, kind: 'set', members: new Map(), words: new Map(), obs: named.obs };
        sets.set(named.key, set);
      }
      set.members.set(named.role, [...(set.members.get(named.role) ?? []), candidate]);
      set.words.set(named.role, named.word);
    }
  }
  return { sets: [...sets.values()], tracks, metadata, strays };
}

/**
 * The metadata file of `part` for a set (a member: `near`): the first of the names the
 * pipeline declares for it that is listed, in the set's own directory first, else
 * anywhere in the source. Undefined when none is.
 */
export function metadataFor(
  listing: Listing,
  grammar: FileNameGrammar,
  part: MetadataPart,
  set: ListedSet,
  near: Candidate,
): Candidate | undefined {
  const dir = path.posix.dirname(near.relPath);
  for (const name of grammar.metadataNames(part, set.obs)) {
    const found = listing.metadata.get(name);
    const pick = found?.find((c) => path.posix.dirname(c.relPath) === dir) ?? found?.[0];
    if (pick) return pick;
  }
  return undefined;
}
