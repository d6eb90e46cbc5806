import type { SetsIngestConfig } from '../../../config/types.js';
import type { ConfigIssue, LoadedPipeline } from '../../../config/types.js';
import type { Db } from '../../../db/database.js';
import { coerceError } from '../../../core/errors.js';
import type { DocPath } from '../../../config/issues.js';
import { yamlLocator } from '../../../config/locate.js';
import { EXTRA, FEAT_FILENAME, LOAD_ID, LOCAL_ID, normaliseHeader, referenceMap, ROW_ORDINAL } from './header-map.js';
import { casterFor } from './hfc-casts.js';
import { setTableNames } from './sets-plan.js';
import { naturalKeyIndex, readCatalogue, type CatalogueTable } from './table-columns.js';

/**
 * For `nocturne validate --db`, sets mode: every catalogue table the pipeline names
 * exists, with the columns the loader fills (identity, load_id, row_ordinal,
 * feat_filename), every referenced column, a unique index on each natural key (see
 * naturalKeyIndex()), and only column types the loader can cast. Issues point at the key
 * of the pipeline file concerned.
 */
export async function checkSetTargets(db: Db, pipeline: LoadedPipeline, stage: SetsIngestConfig): Promise<ConfigIssue[]> {
  const locate = await yamlLocator(pipeline.file);
  const issues: ConfigIssue[] = [];
  const issue = (at: DocPath, message: string) => issues.push({ file: pipeline.file, ...locate(['ingest', 'sets', ...at]), message });
  const { sets } = stage;
  const existing = await db.any<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
    [sets.catalogue, setTableNames(sets)],
  );
  const present = existing.map((r) => r.relname);
  const parts = [
    ['frcInfo', sets.frcInfo.table],
    ['observatory', sets.observatory.table],
    ['observations', sets.observations.table],
    ['features', sets.features.table],
    ...(sets.tracking ? [['tracking', sets.tracking.table]] : []),
  ] as const;
  // None of them: the catalogue was never installed there. One problem, saying how to install it.
  if (present.length === 0) {
    issue(
      ['catalogue'],
      `ingest.sets.catalogue: schema ${sets.catalogue} holds none of the catalogue's tables: install the catalogue ` +
        `(psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -v catalogue=${sets.catalogue} -f sql/catalogue/install.psql; sql/catalogue/README.md)`,
    );
    return issues;
  }
  for (const [part, table] of parts) {
    if (!present.includes(table)) issue([part, 'table'], `ingest.sets.${part}: table ${sets.catalogue}.${table} does not exist`);
  }
  if (parts.some(([, table]) => !present.includes(table))) return issues;
  let catalogue: Map<string, CatalogueTable>;
  try {
    catalogue = await readCatalogue(db, sets.catalogue, setTableNames(sets));
  } catch (err) {
    return [{ file: pipeline.file, ...locate(['ingest', 'sets', 'catalogue']), message: coerceError(err).message }];
  }
  const need = (part: string, table: CatalogueTable, column: string, why: string, at: DocPath = [part]) => {
    if (!table.columns.has(column)) issue(at, `ingest.sets.${part}: table ${table.name} has no column ${column} (${why})`);
  };
  for (const [part, name] of parts) {
    const table = catalogue.get(name)!;
    if (part !== 'tracking' && !table.identity) {
      issue([part, 'table'], `ingest.sets.${part}: table ${table.name} has no identity column (its own id)`);
    }
    if (part === 'observations' || part === 'features' || part === 'tracking') need(part, table, LOAD_ID, 'the load id of each row');
    for (const column of table.columns.values()) {
      const caster = casterFor(column);
      if (typeof caster === 'string' && !column.identity && column.name !== LOAD_ID && column.name !== EXTRA) {
        issue([part, 'table'], `ingest.sets.${part}: ${caster}`);
      }
    }
  }
  const features = catalogue.get(sets.features.table)!;
  need('features', features, ROW_ORDINAL, 'the ordinal of each feature in its file');
  need('features', features, FEAT_FILENAME, 'how track files find their features');
  const aliases = new Map(Object.entries(sets.aliases).map(([from, to]) => [normaliseHeader(from), normaliseHeader(to)]));
  type Member = { table: string; references: SetsIngestConfig['sets']['features']['references'] };
  const members: [string, Member][] = [
    ['observations', sets.observations],
    ['features', sets.features],
  ];
  if (sets.tracking) members.push(['tracking', sets.tracking]);
  for (const [part, spec] of members) {
    const table = catalogue.get(spec.table)!;
    const headers = Object.keys(spec.references);
    [...referenceMap(spec.references, aliases).values()].forEach(({ column }, i) => {
      need(part, table, column, `the column of reference ${headers[i]}`, [part, 'references', headers[i]!]);
    });
  }
  for (const part of ['frcInfo', 'observatory'] as const) {
    const key = await naturalKeyIndex(db, catalogue.get(sets[part].table)!, sets[part].naturalKey);
    if (typeof key === 'string') issue([part, 'naturalKey'], `ingest.sets.${part}.naturalKey: ${key}`);
  }
  for (const [part, table] of parts) {
    const declared = part === 'tracking' ? sets.tracking! : sets[part as 'frcInfo' | 'observatory' | 'observations' | 'features'];
    if (declared.extra.length > 0) {
      need(part, catalogue.get(table)!, EXTRA, 'the jsonb column of the headers declared extra', [part, 'extra']);
    }
  }
  if (sets.tracking?.featureId === 'localId') {
    need('features', features, LOCAL_ID, 'tracking.featureId localId: the local id of each feature', ['tracking', 'featureId']);
  }
  for (const [column, rules] of Object.entries(sets.columns)) {
    const found = [...catalogue.values()].map((t) => t.columns.get(column)).filter((c) => c !== undefined);
    if (found.length === 0) issue(['columns', column], `ingest.sets.columns.${column}: no table of the set has a column ${column}`);
    const numeric = ['int2', 'int4', 'int8', 'float4', 'float8', 'numeric'];
    if (rules.scale !== undefined && found.some((c) => !numeric.includes(c.type))) {
      issue(
        ['columns', column, 'scale'],
        `ingest.sets.columns.${column}.scale: column ${column} is not a number (${found.map((c) => c.display).join(', ')})`,
      );
    }
    if (rules.integer !== undefined && found.some((c) => !['int2', 'int4', 'int8'].includes(c.type))) {
      issue(
        ['columns', column, 'integer'],
        `ingest.sets.columns.${column}.integer: column ${column} is not an integer column (${found.map((c) => c.display).join(', ')})`,
      );
    }
  }
  return issues;
}
