import type { IngestStageConfig } from '../../../config/types.js';
import type { Db } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import type { FileBody } from '../common/file-body.js';
import type { RowIssue } from '../common/issues.js';
import type { LedgerEntry, LoadCounts } from './ledger.js';

// The contract of a file's load (what loadFile takes and returns), apart from the
// modules that implement it, so that none of them imports another for a type.

export interface FileToLoad {
  entry: LedgerEntry;
  body: FileBody;
  /**
   * Go straight to the staging table: the file probably overlaps rows already loaded
   * (an earlier version of the same path was loaded), so the direct COPY would fail.
   */
  preferStaging: boolean;
}

export interface LoaderContext {
  db: Db;
  stage: IngestStageConfig;
  logger: Logger;
  /** The pg_type name of each column of the target table, read once per run (see columnTypes()). */
  targetTypes: () => Promise<ReadonlyMap<string, string>>;
  onRows?: (rows: number) => void;
}

export type LoadResult =
  | { kind: 'busy' }
  | { kind: 'done'; rejected: { error: string; issues: unknown[] } | null }
  | { kind: 'loaded'; fileId: number; counts: LoadCounts }
  | { kind: 'rejected'; fileId: number; rows: number; error: string; issues: RowIssue[]; more: number };
