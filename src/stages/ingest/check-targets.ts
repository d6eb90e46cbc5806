import { createCaster } from '../../adapters/csv/field-casts.js';
import type { ColumnType } from '../../config/schema.js';
import type { IngestStageConfig } from '../../config/types.js';
import type { ConfigIssue, LoadedPipeline, NocturneConfig } from '../../config/types.js';
import type { Db } from '../../db/database.js';
import { checkSetTargets } from './sets/check-set-targets.js';
import type { DocPath } from '../../config/issues.js';
import { yamlLocator } from '../../config/locate.js';
import { targetColumns } from './table/target-columns.js';

/** PostgreSQL types (pg_type.typname) a declared column type may be loaded into without loss. */
const COMPATIBLE: Record<ColumnType, readonly string[]> = {
  int: ['int4', 'int8', 'numeric'],
  bigint: ['int8', 'numeric'],
  float: ['float8', 'float4', 'numeric'],
  text: ['text', 'varchar', 'bpchar'],
  bool: ['bool'],
  timestamp: ['timestamptz', 'timestamp'],
};

/**
 * For `nocturne validate`: checks, for every pipeline with an ingest stage, that its
 * table exists and can take what the pipeline loads: each mapped column present with a
 * compatible type and nullability, ingested_file_id (bigint) present, no other NOT NULL
 * column left without a default, and a unique index on exactly the natural key (what
 * ON CONFLICT needs). Also compiles the timestamp formats. Every issue names the
 * pipeline file (with the line of the key concerned), the table and the column.
 */
export async function checkIngestTargets(db: Db, config: NocturneConfig): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const pipeline of config.pipelines.values()) {
    const stage = pipeline.config.ingest;
    if (stage?.mode === 'table') issues.push(...(await checkPipeline(db, pipeline, stage)));
    else if (stage?.mode === 'sets') issues.push(...(await checkSetTargets(db, pipeline, stage)));
  }
  return issues;
}

async function checkPipeline(db: Db, pipeline: LoadedPipeline, stage: IngestStageConfig): Promise<ConfigIssue[]> {
  const locate = await yamlLocator(pipeline.file);
  const issues: ConfigIssue[] = [];
  const issue = (at: DocPath, message: string) => issues.push({ file: pipeline.file, ...locate(['ingest', ...at]), message });
  const table = stage.table;

  for (const [name, spec] of Object.entries(stage.columns)) {
    if (spec.type !== 'timestamp' && spec.format !== undefined) {
      issue(
        ['columns', name, 'format'],
        `ingest.columns.${name} (table ${table}): format applies to timestamp columns only, not ${spec.type}`,
      );
    } else if (spec.type === 'timestamp') {
      try {
        createCaster(spec.type, spec.format);
      } catch (err) {
        issue(['columns', name, 'format'], `ingest.columns.${name} (table ${table}): ${(err as Error).message}`);
      }
    }
  }
  for (const key of stage.naturalKey) {
    if (!(key in stage.columns)) issue(['naturalKey'], `ingest.naturalKey: ${key} is not one of the mapped columns of ${table}`);
  }

  const columns = await targetColumns(db, table);
  if (columns.length === 0) {
    issue(['table'], `ingest.table: table ${table} does not exist (or has no columns)`);
    return issues;
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const [name, spec] of Object.entries(stage.columns)) {
    const column = byName.get(name);
    if (!column) issue(['columns', name], `ingest.columns.${name}: table ${table} has no column ${name}`);
    else if (!COMPATIBLE[spec.type].includes(column.typname)) {
      issue(
        ['columns', name, 'type'],
        `ingest.columns.${name}: column ${table}.${name} is ${column.type}, which cannot take type ${spec.type}`,
      );
    } else if (spec.nullable && column.not_null) {
      issue(['columns', name, 'nullable'], `ingest.columns.${name}: nullable is true but column ${table}.${name} is NOT NULL`);
    }
  }
  const provenance = byName.get('ingested_file_id');
  if (provenance?.typname !== 'int8') {
    issue(['table'], `ingest.table: table ${table} needs a column ingested_file_id bigint (provenance: the ledger row of each row)`);
  }
  for (const column of columns) {
    if (column.not_null && !column.has_default && column.name !== 'ingested_file_id' && !(column.name in stage.columns)) {
      issue(['columns'], `ingest.columns: column ${table}.${column.name} is NOT NULL without a default, and nothing is mapped to it`);
    }
  }

  const unique = await db.any<{ columns: string[] }>(
    `SELECT array_agg(a.attname::text) AS columns
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
      GROUP BY i.indexrelid`,
    [table],
  );
  const key = [...stage.naturalKey].sort().join(',');
  if (!unique.some((u) => [...u.columns].sort().join(',') === key)) {
    issue(
      ['naturalKey'],
      `ingest.naturalKey: table ${table} has no unique index or constraint on exactly (${stage.naturalKey.join(', ')})`,
    );
  }
  return issues;
}
