import type { SetRole } from '../../../config/schema.js';
import type { SetsIngestConfig } from '../../../config/types.js';
import type { Permits } from '../../../core/permits.js';
import type { StageContext } from '../../types.js';
import type { Candidate, Fetched, IngestSource } from '../common/sources.js';
import type { Listing } from './group-files.js';
import type { MetadataCache, MetadataFile } from './metadata.js';
import type { SetIssue } from './parse-member.js';
import type { KnownSets } from './set-ledger.js';
import type { SetTally } from './set-tally.js';
import type { SetsPlan } from './sets-plan.js';
import type { SetGroups } from './set-groups.js';

/** A fetched member file of a set. */
export interface Member {
  role: SetRole;
  candidate: Candidate;
  fetched: Fetched;
}

/** A metadata file read for a run: usable, or refused with its located issues. */
export type ReadMetadata =
  { file: MetadataFile; sha256: string; path: string } | { issues: SetIssue[]; more: number; sha256: string; path: string };

/** What one sets-mode run shares between the sets it loads. */
export interface SetsIngestState {
  ctx: StageContext;
  stage: SetsIngestConfig;
  source: IngestSource;
  host: string;
  plan: SetsPlan;
  listing: Listing;
  known: KnownSets;
  tally: SetTally;
  cache: MetadataCache;
  /** Metadata files read this run, by path. */
  metadata: Map<string, Promise<ReadMetadata>>;
  /** The run's group commit of new sets (see SetGroups). */
  groups: SetGroups;
  /** Connections the sets may hold at once, to load (see SetConnection) or to record a rejection or a wait. */
  connections: Permits;
  /** Bytes of the files of the sets read at once (fetched, parsed, loading). */
  readAhead: Permits;
}
