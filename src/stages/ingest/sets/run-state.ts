import type { NocturneError } from '../../../core/errors.js';
import type { SetRole } from '../../../config/schema.js';
import type { SetsIngestConfig } from '../../../config/types.js';
import type { StageContext } from '../../types.js';
import type { Candidate, Fetched, IngestSource } from '../sources.js';
import type { Listing } from './group-files.js';
import type { MetadataCache } from './metadata.js';
import type { ReadMetadata } from './metadata-files.js';
import type { KnownSets } from './set-ledger.js';
import type { SetTally } from './set-tally.js';
import type { SetsPlan } from './sets-plan.js';

/** A fetched member file of a set. */
export interface Member {
  role: SetRole;
  candidate: Candidate;
  fetched: Fetched;
}

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
  firstError: NocturneError | undefined;
}
