import path from 'node:path';
import type { SetRole } from '../../../config/schema.js';
import type { Candidate } from '../sources.js';
import type { FileNameGrammar } from './file-names.js';
import type { MetadataPart } from './metadata.js';

export interface ListedSet {
  key: string;
  kind: 'set' | 'track';
  /** Files by role; more than one file for a role is an error the set is rejected for. */
  members: Map<SetRole, Candidate[]>;
  /** The word of the file names for each role present (to name a missing file). */
  words: Map<SetRole, string>;
}

export interface Listing {
  sets: ListedSet[];
  tracks: ListedSet[];
  metadata: Map<MetadataPart, Candidate[]>;
  /** Files matching neither the set grammar nor a metadata name. */
  strays: Candidate[];
}

/** Groups listed files into sets (by set key), track files, and the per-code metadata files. */
export function groupFiles(candidates: readonly Candidate[], grammar: FileNameGrammar): Listing {
  const sets = new Map<string, ListedSet>();
  const tracks: ListedSet[] = [];
  const metadata = new Map<MetadataPart, Candidate[]>();
  const strays: Candidate[] = [];
  for (const candidate of candidates) {
    const named = grammar.read(path.posix.basename(candidate.relPath));
    if (!named) strays.push(candidate);
    else if (named.kind === 'metadata') metadata.set(named.part, [...(metadata.get(named.part) ?? []), candidate]);
    else if (named.role === 'track') {
      tracks.push({ key: named.key, kind: 'track', members: new Map([['track', [candidate]]]), words: new Map([['track', named.word]]) });
    } else {
      let set = sets.get(named.key);
      if (!set) sets.set(named.key, (set = { key: named.key, kind: 'set', members: new Map(), words: new Map() }));
      set.members.set(named.role, [...(set.members.get(named.role) ?? []), candidate]);
      set.words.set(named.role, named.word);
    }
  }
  return { sets: [...sets.values()], tracks, metadata, strays };
}

/** The metadata file for a set: the one in the set's own directory, else the first listed. */
export function metadataFor(candidates: readonly Candidate[] | undefined, near: Candidate): Candidate | undefined {
  const dir = path.posix.dirname(near.relPath);
  return candidates?.find((c) => path.posix.dirname(c.relPath) === dir) ?? candidates?.[0];
}
