import type { RetentionAge } from '../config/types.js';
import { lastSlotRun } from '../scheduling/slot-ledger.js';

/**
 * The ledger rows retention removes, kind by kind. Each kind is one candidates query over
 * its table (aliased `x`, walked by id, oldest first: the ledgers' ids follow time),
 * taking the same parameters:
 *
 *   $1 cursor (ids above it), $2 batch size, $3 age in ms, $4 ids to keep to (NULL: any),
 *   $5 pipelines whose files this host can see (kinds that check files only), $6 the
 *   names of set members some pipeline's ingest takes (PostgreSQL regexes; outputs only).
 *
 * What is never a candidate: the provenance catalogue rows point to (lineage(),
 * quicklook_url(), archived_files): loads and loaded files (ingested_sets, loaded
 * ingested_files) are not touched at all; transfers that archived a file (renamed,
 * checked, deleted, kept) stay, with their `verified` event; a job one of whose completed
 * tasks published a member of a load (loaded or replaced) stays, with its run, and so
 * does one an output of which may still be loaded (MAY_STILL_LOAD). The
 * operators' records are no provenance (lineage() reads none of them; a retried item's
 * earlier attempt is a rejected or failed one, which no catalogue row comes from).
 */
export interface RowKind {
  /** The retention age that governs it (retention.<age>). */
  age: RetentionAge;
  table: string;
  candidates: string;
  /** Rows of other tables that go with each candidate (foreign key column → table). */
  children: ReadonlyArray<{ table: string; column: string }>;
  /** What a dry run counts, when it differs: a dry run removes nothing that would free more rows. */
  dryCandidates?: string;
  /** Candidates carry a local `path`: only those whose file is gone are removed. */
  whenGone?: true;
}

const OLDER = (column: string) => `${column} < now() - $3 * interval '1 millisecond'`;
const PAGE = `x.id > $1 AND ($4::bigint[] IS NULL OR x.id = ANY($4::bigint[]))`;
const LIMIT = 'ORDER BY x.id LIMIT $2';

/**
 * The pipeline of a run-stage ledger `l` (job_tasks.pipeline): a campaign's is
 * `<pipeline>.c<id>` (campaigns/store.ts), whose outputs go to the pipeline's outbox and
 * transfers.
 */
const PIPELINE_OF = (l: string) => `regexp_replace(${l}, '\\.c[0-9]+$', '')`;

/** The name an output had in the outbox (job_tasks.outputs), from its transfer `x`: as lineage() matches them. */
const OUTPUT_NAME = (x: string) => `regexp_replace(${x}.local_path, '^.*/', '')`;
/** Whether file name `n` is a set member that some pipeline's ingest takes ($6). */
const MEMBER = (n: string) => `${n} ~ ANY($6::text[])`;

/**
 * Whether member name `n`, an output of pipeline `p`, may still be loaded (lineage() would
 * then look for the task that published it): a set of it waits (for its init file, or
 * rejected as incomplete, which loads once the file arrives); or no set of it was refused
 * or rejected for what it holds (those wait for a person) and its file was not lost on its
 * way (latest transfer missing, or quarantined: a person may retry it). It then waits in
 * the outbox, on its way to the archive, or on the archive for the ingest.
 */
const MAY_STILL_LOAD = (p: string, n: string) => `(
  EXISTS (SELECT 1 FROM ingested_sets s WHERE s.member_names @> ARRAY[${n}]
           AND s.status IN ('waiting', 'rejected') AND (s.status = 'waiting' OR s.incomplete))
  OR NOT EXISTS (SELECT 1 FROM ingested_sets s WHERE s.member_names @> ARRAY[${n}]
           AND s.status IN ('refused', 'rejected') AND NOT s.incomplete)
     AND coalesce((SELECT x.state FROM transfers x WHERE x.kind = 'output' AND x.pipeline = ${p} AND ${OUTPUT_NAME('x')} = ${n}
                    ORDER BY x.id DESC LIMIT 1), 'outbox') NOT IN ('missing', 'quarantined'))`;

/**
 * Whether job `j` goes: ended long enough ago, none of its completed tasks published a
 * member of a load (loaded or replaced), which would make it provenance, and none a
 * member that may still be loaded, which would make it provenance later.
 */
const JOB_GOES = (j: string) => `${j}.state IN ('finished', 'rejected') AND ${OLDER(`coalesce(${j}.finished_at, ${j}.created_at)`)}
  AND NOT EXISTS (
    SELECT 1 FROM job_tasks t JOIN ingested_sets s
      ON s.status IN ('loaded', 'replaced') AND s.member_names && ARRAY(SELECT jsonb_array_elements_text(t.outputs))
     WHERE t.job = ${j}.id AND t.state = 'completed' AND jsonb_typeof(t.outputs) = 'array')
  AND NOT EXISTS (
    SELECT 1 FROM job_tasks t
     CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(t.outputs) = 'array' THEN t.outputs ELSE '[]' END) AS o(name)
     WHERE t.job = ${j}.id AND t.state = 'completed' AND ${MEMBER('o.name')} AND ${MAY_STILL_LOAD(PIPELINE_OF('t.pipeline'), 'o.name')})`;

/**
 * A lost output's transfer (missing, quarantined) that stays while the job that published
 * it does: it is what tells that job's output is gone for good, not waiting in the outbox.
 */
const NO_JOB_WAITS_ON = (x: string) => `NOT (${MEMBER(OUTPUT_NAME(x))} AND EXISTS (SELECT 1 FROM job_tasks t
          WHERE t.outputs ? ${OUTPUT_NAME(x)} AND ${PIPELINE_OF('t.pipeline')} = ${x}.pipeline AND t.state = 'completed'))`;

function runsWhere(noJobStays: string): string {
  return `SELECT x.id, NULL::text AS path FROM runs x
      WHERE ${PAGE} AND x.state <> 'running' AND ${OLDER('coalesce(x.finished_at, x.started_at)')} AND ${noJobStays}
        AND x.slot < (SELECT max(r.slot) FROM runs r WHERE r.pipeline = x.pipeline AND r.stage = x.stage)
        AND x.id IS DISTINCT FROM (SELECT l.id FROM (${lastSlotRun('x.pipeline', 'x.stage')}) l) ${LIMIT}`;
}

export const ROW_KINDS = {
  jobs: {
    age: 'runs',
    table: 'jobs',
    candidates: `SELECT x.id, NULL::text AS path FROM jobs x
      WHERE ${PAGE} AND ${JOB_GOES('x')} ${LIMIT}`,
    children: [{ table: 'job_tasks', column: 'job' }],
  },
  // After the jobs: a run a job still points to stays (the job's lineage names it). A dry
  // run, which removes no job, asks whether each such job would go, as the jobs kind does.
  // The latest run of each stage stays too, whatever its age (status shows it), and so does
  // its last slot, which a newer manual run does not replace (catch-up starts from it).
  runs: {
    age: 'runs',
    table: 'runs',
    candidates: runsWhere('NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = x.id)'),
    dryCandidates: runsWhere(`NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = x.id AND NOT (${JOB_GOES('j')}))`),
    children: [],
  },
  // Events of archived files, but their verification (lineage's verified_at). Missing and
  // quarantined transfers keep theirs until the whole row goes (goneFiles).
  transferEvents: {
    age: 'transferEvents',
    table: 'transfer_events',
    candidates: `SELECT x.id, NULL::text AS path FROM transfer_events x JOIN transfers t ON t.id = x.transfer_id
      WHERE ${PAGE} AND ${OLDER('x.at')} AND t.state IN ('deleted', 'kept') AND x.to_state <> 'verified' ${LIMIT}`,
    children: [],
  },
  missingTransfers: {
    age: 'goneFiles',
    table: 'transfers',
    candidates: `SELECT x.id, NULL::text AS path FROM transfers x
      WHERE ${PAGE} AND x.state = 'missing' AND ${OLDER('x.updated_at')} AND ${NO_JOB_WAITS_ON('x')} ${LIMIT}`,
    children: [{ table: 'transfer_events', column: 'transfer_id' }],
  },
  quarantinedTransfers: {
    age: 'goneFiles',
    table: 'transfers',
    candidates: `SELECT x.id, x.quarantine_path AS path FROM transfers x
      WHERE ${PAGE} AND x.state = 'quarantined' AND ${OLDER('x.updated_at')} AND x.pipeline = ANY($5::text[])
        AND ${NO_JOB_WAITS_ON('x')} ${LIMIT}`,
    children: [{ table: 'transfer_events', column: 'transfer_id' }],
    whenGone: true,
  },
  rejectedFiles: {
    age: 'goneFiles',
    table: 'ingested_files',
    candidates: `SELECT x.id, x.path FROM ingested_files x
      WHERE ${PAGE} AND x.status = 'rejected' AND ${OLDER('x.finished_at')} AND x.source LIKE 'local:%'
        AND x.pipeline = ANY($5::text[]) ${LIMIT}`,
    children: [{ table: 'quarantine_rows', column: 'file_id' }],
    whenGone: true,
  },
  // Who paused, resumed or retried what, with the retried items' earlier attempts. The
  // record of a pause still in effect stays, however old: the history says who stopped
  // a stage that is still stopped.
  operatorActions: {
    age: 'operatorActions',
    table: 'operator_actions',
    candidates: `SELECT x.id, NULL::text AS path FROM operator_actions x
      WHERE ${PAGE} AND ${OLDER('x.asked_at')}
        AND NOT (x.action = 'pause' AND EXISTS (SELECT 1 FROM pauses p WHERE p.pipeline = x.pipeline
                   AND (x.stage = '' OR p.stage = x.stage) AND p.paused_at <= x.asked_at)) ${LIMIT}`,
    children: [{ table: 'retried_items', column: 'action_id' }],
  },
} as const satisfies Record<string, RowKind>;

export type RowKindName = keyof typeof ROW_KINDS;

/**
 * One batch removed in one statement (its own short transaction): the candidates are
 * locked SKIP LOCKED, so a row a stage holds is left for the next prune instead of
 * making either wait; children go first, in the same statement.
 */
export function deleteStatement(kind: RowKind): string {
  const children = kind.children.map((c, i) => `k${i} AS (DELETE FROM ${c.table} WHERE ${c.column} IN (SELECT id FROM c) RETURNING 1)`);
  const counts = kind.children.map((c, i) => `, (SELECT count(*) FROM k${i})::int AS "${c.table}"`).join('');
  return `WITH c AS (${kind.candidates} FOR UPDATE OF x SKIP LOCKED),
    ${[...children, `d AS (DELETE FROM ${kind.table} WHERE id IN (SELECT id FROM c) RETURNING 1)`].join(',\n    ')}
    SELECT (SELECT max(id) FROM c)::bigint AS last, (SELECT count(*) FROM c)::int AS seen,
           (SELECT count(*) FROM d)::int AS "${kind.table}"${counts}`;
}
