import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { coerceError } from '../core/errors.js';
import type { NocturneConfig, ResolvedRetention } from '../config/types.js';
import type { StageName } from '../config/schema.js';
import type { Db } from '../db/database.js';
import { sweepFiles, type FileCounts } from './prune-files.js';
import { pruneRows, type Queries, type RowCounts } from './prune-rows.js';
import { ROW_KINDS, type RowKindName } from './row-kinds.js';

/** What retention removes, each under its own age (retention.<kind>). */
export const PRUNE_KINDS = ['jobs', 'runs', 'transferEvents', 'goneFiles', 'operatorActions', 'thumbnails', 'quarantine'] as const;
export type PruneKind = (typeof PRUNE_KINDS)[number];

export interface KindReport {
  /** Rows removed (or that would be), by table. */
  rows: RowCounts;
  /** Files removed (or that would be), with their size. */
  files: FileCounts;
}

export interface PruneReport {
  dryRun: boolean;
  kinds: Record<PruneKind, KindReport>;
  /** Set when another process held the prune lock: nothing was done. */
  busy?: true;
}

export interface PruneDeps {
  db: Db;
  config: NocturneConfig;
  clock: Clock;
  signal?: AbortSignal;
  /** After each batch of rows, with the rows it took (the bench). */
  onBatch?: (rows: number) => void;
}

/** Which ledger rows make up each kind, in the order they are removed (jobs before the runs they point to). */
const ROWS_OF: Record<PruneKind, RowKindName[]> = {
  jobs: [],
  runs: ['jobs', 'runs'],
  transferEvents: ['transferEvents'],
  goneFiles: ['missingTransfers', 'quarantinedTransfers', 'rejectedFiles'],
  operatorActions: ['operatorActions'],
  thumbnails: [],
  quarantine: [],
};

// With the schema as second key: prunes of other state schemas on the server go on.
const PRUNE_LOCK = 0x6e6f7072;

/**
 * Removes what the retention ages allow, kind by kind, under a session advisory lock so
 * that two hosts (or the daemon and `nocturne prune`) never prune at once: the second
 * finds it held and reports `busy`. Rows go in batches of short transactions; files of
 * this host's directories one by one. A dry run counts the same things and removes none.
 */
export async function prune(deps: PruneDeps, options: { dryRun: boolean }): Promise<PruneReport> {
  const kinds = Object.fromEntries(PRUNE_KINDS.map((k) => [k, { rows: {}, files: { files: 0, bytes: 0 } }])) as Record<
    PruneKind,
    KindReport
  >;
  const report: PruneReport = { dryRun: options.dryRun, kinds };
  return deps.db.task('prune', async (session) => {
    const { locked } = await session.one<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS locked', [
      PRUNE_LOCK,
    ]);
    if (!locked) return { ...report, busy: true as const };
    try {
      const { retention } = deps.config.daemon;
      const now = deps.clock.now().getTime();
      const doing = options.dryRun ? 'counting' : 'removing';
      const members = await memberPatterns(deps.config);
      for (const kind of PRUNE_KINDS) {
        if (deps.signal?.aborted) break;
        for (const rows of ROWS_OF[kind]) {
          const counts = await pruneRows(session, ROW_KINDS[rows], {
            retention,
            dryRun: options.dryRun,
            pipelines: pipelinesWith(deps.config, ROW_KINDS[rows].table === 'ingested_files' ? 'ingest' : 'upload'),
            members,
            ...(deps.signal ? { signal: deps.signal } : {}),
            ...(deps.onBatch ? { onBatch: deps.onBatch } : {}),
          }).catch((err: unknown) => {
            throw coerceError(err, 'DB_FAILED', `prune ${kind}: ${doing} old rows of ${ROW_KINDS[rows].table}`);
          });
          for (const [table, n] of Object.entries(counts)) kinds[kind].rows[table] = (kinds[kind].rows[table] ?? 0) + n;
        }
        kinds[kind].files = await pruneFilesOf(kind, session, deps, retention, now, options.dryRun);
      }
      return report;
    } finally {
      await session.one('SELECT pg_advisory_unlock($1, hashtext(current_schema())) AS unlocked', [PRUNE_LOCK]);
    }
  });
}

/** The pipelines whose `stage` runs on this host: only their files are there to check. */
function pipelinesWith(config: NocturneConfig, stage: StageName): string[] {
  if (!config.daemon.host.stages.includes(stage)) return [];
  return [...config.pipelines.values()].filter((p) => p.config[stage] !== undefined).map((p) => p.config.name);
}

/**
 * The names of the set members each pipeline's ingest takes, whichever host runs it, as
 * PostgreSQL regexes (the grammar's are in the syntax both read): the outputs that the
 * catalogue may load.
 */
async function memberPatterns(config: NocturneConfig): Promise<string[]> {
  // Loaded here, not at the daemon's start, which loads no stage (test/integration/daemon/start-path.test.ts).
  const { compileGrammar } = await import('../stages/ingest/sets/file-names.js');
  return [...config.pipelines.values()].flatMap(({ config: p }) =>
    p.ingest?.mode === 'sets' ? compileGrammar(p.ingest.sets, p.code).members.map((r) => r.source) : [],
  );
}

async function pruneFilesOf(
  kind: PruneKind,
  db: Queries,
  deps: PruneDeps,
  retention: ResolvedRetention,
  now: number,
  dryRun: boolean,
): Promise<FileCounts> {
  const { paths } = deps.config;
  const common = { dryRun, ...(deps.signal ? { signal: deps.signal } : {}) };
  try {
    switch (kind) {
      case 'jobs': {
        // A job still submitted keeps its directory and logs, however long it has been waiting.
        const live = await db.any<{ token: string; name: string }>(
          `SELECT token, name FROM jobs WHERE state IN ('submitting', 'submitted')`,
        );
        const tokens = new Set(live.map((j) => j.token));
        const names = new Set(live.map((j) => j.name));
        const cutoffMs = now - retention.jobsMs;
        const dirs = await sweepFiles({
          ...common,
          roots: [path.join(paths.work, 'run')],
          depth: 1,
          cutoffMs,
          keep: (e) => tokens.has(path.basename(e)),
        });
        const logs = await sweepFiles({
          ...common,
          roots: [paths.logs],
          depth: Infinity,
          cutoffMs,
          keep: (e) => names.has(path.basename(e).replace(/\.\d+\.log$/, '')),
        });
        return { files: dirs.files + logs.files, bytes: dirs.bytes + logs.bytes };
      }
      case 'thumbnails': {
        // A thumbnail on its way to the archive stays until its transfer has ended.
        const open = await db.any<{ local_path: string }>(
          `SELECT local_path FROM transfers WHERE kind = 'thumbnail' AND state NOT IN ('deleted', 'kept', 'quarantined', 'missing')`,
        );
        const busy = new Set(open.map((t) => t.local_path));
        const roots = [...deps.config.pipelines.keys()].map((name) => path.join(paths.work, name, 'thumbnails'));
        return await sweepFiles({ ...common, roots, depth: Infinity, cutoffMs: now - retention.thumbnailsMs, keep: (e) => busy.has(e) });
      }
      case 'quarantine':
        return await sweepFiles({ ...common, roots: [paths.quarantine], depth: Infinity, cutoffMs: now - retention.quarantineMs });
      default:
        return { files: 0, bytes: 0 };
    }
  } catch (err) {
    const [doing, may] = dryRun ? ['counting', 'read'] : ['removing', 'remove'];
    throw coerceError(err, 'PRUNE_FAILED', `prune ${kind}: ${doing} old files (check that nocturne's user may ${may} them)`);
  }
}
