import type { ColumnType } from '../../../config/schema.js';
import type { IngestStageConfig } from '../../../config/types.js';
import { badRow, REPORT_LIMIT, shown, type BadRow } from '../common/issues.js';
import type { Connection } from '../common/connection.js';
import type { FileToLoad } from './load-contract.js';
import { names, qualifiedName } from './sql-names.js';
import { rawRecords, type PassResult } from './parse-pass.js';
import type { RowIssue } from '../common/issues.js';

/** The per-transaction staging table (TEMP, ON COMMIT DROP: nothing to clean up after a crash). */
export const STAGING_TABLE = 'nocturne_staging';

const SQL_TYPE: Record<ColumnType, string> = {
  int: 'integer',
  bigint: 'bigint',
  float: 'double precision',
  text: 'text',
  bool: 'boolean',
  timestamp: 'timestamptz',
};

/** Columns typed as declared in the pipeline, plus the file line of each row. */
export function stageTableSql(stage: Pick<IngestStageConfig, 'columns'>): string {
  const columns = Object.entries(stage.columns).map(([name, spec]) => `${names([name])} ${SQL_TYPE[spec.type]}`);
  return `CREATE TEMP TABLE ${STAGING_TABLE} (${columns.join(', ')}, line integer NOT NULL) ON COMMIT DROP`;
}

export interface DuplicateCheck {
  /** The file must be rejected. */
  refused: boolean;
  /** All issues of the file, for the report. */
  issues: RowIssue[];
  badRows: number;
  /** Repeated rows removed from staging, to record in quarantine_rows. */
  quarantined: BadRow[];
}

/**
 * Finds rows whose natural key already appeared earlier in the same file: INSERT ...
 * ON CONFLICT would silently drop them (DO NOTHING) or fail (DO UPDATE cannot touch a
 * row twice). Under the quarantine policy they are taken out of staging and kept in
 * quarantine_rows with their raw text, read again from the file.
 */
export async function findDuplicates(
  conn: Connection,
  stage: IngestStageConfig,
  file: FileToLoad,
  pass: PassResult,
): Promise<DuplicateCheck> {
  const key = stage.naturalKey;
  const room = stage.badRows.policy === 'quarantine' ? Math.max(0, stage.badRows.maxQuarantined - pass.badRows) : 0;
  const repeated = await conn.any<{ line: number; first_line: number; key: string }>(
    `SELECT line, first_line, key FROM (
       SELECT line, min(line) OVER w AS first_line, row_number() OVER (w ORDER BY line) AS n,
              concat_ws(', ', ${key.map((k) => `${names([k])}::text`).join(', ')}) AS key
         FROM ${STAGING_TABLE}
        WHERE ${key.map((k) => `${names([k])} IS NOT NULL`).join(' AND ')}
       WINDOW w AS (PARTITION BY ${names(key)})) d
      WHERE n > 1 ORDER BY line LIMIT $1`,
    [room + REPORT_LIMIT],
  );
  if (repeated.length === 0) return { refused: false, issues: pass.issues, badRows: pass.badRows, quarantined: [] };
  const found: RowIssue[] = repeated.map((r) =>
    shown({ line: r.line, reason: `duplicate natural key (${key.join(', ')}) = (${r.key}): first at line ${r.first_line}` }),
  );
  const issues = [...pass.issues, ...found].sort((a, b) => a.line - b.line).slice(0, REPORT_LIMIT);
  const badRows = pass.badRows + repeated.length;
  if (repeated.length > room) return { refused: true, issues, badRows, quarantined: [] };
  const lines = repeated.map((r) => r.line);
  const raws = await rawRecords(file.body, file.entry.path, stage.csv, new Set(lines));
  await conn.none(`DELETE FROM ${STAGING_TABLE} WHERE line = ANY($1::integer[])`, [lines]);
  const quarantined = found.map((issue) => badRow(issue, raws.get(issue.line) ?? ''));
  return { refused: false, issues, badRows, quarantined };
}

/**
 * Moves the staged rows into the target, tagging each with the ledger row. With
 * onConflict "update", rows whose values did not change are left alone (and counted
 * as conflicting, not updated). `xmax = 0` tells an inserted row from an updated one.
 */
export async function upsertFromStaging(
  conn: Connection,
  stage: IngestStageConfig,
  fileId: number,
): Promise<{ inserted: number; updated: number }> {
  const columns = Object.keys(stage.columns);
  const others = columns.filter((c) => !stage.naturalKey.includes(c));
  const list = names(columns);
  const action =
    stage.onConflict === 'update' && others.length > 0
      ? `DO UPDATE SET ${others.map((c) => `${names([c])} = EXCLUDED.${names([c])}`).join(', ')},
                ingested_file_id = EXCLUDED.ingested_file_id
          WHERE (${others.map((c) => `t.${names([c])}`).join(', ')}, NULL::integer)
                IS DISTINCT FROM (${others.map((c) => `EXCLUDED.${names([c])}`).join(', ')}, NULL::integer)`
      : 'DO NOTHING';
  const counts = await conn.one<{ inserted: string; updated: string }>(
    `WITH written AS (
       INSERT INTO ${qualifiedName(stage.table)} AS t (${list}, ingested_file_id)
       SELECT ${list}, $1 FROM ${STAGING_TABLE}
       ON CONFLICT (${names(stage.naturalKey)}) ${action}
       RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM written`,
    [fileId],
  );
  return { inserted: Number(counts.inserted), updated: Number(counts.updated) };
}
