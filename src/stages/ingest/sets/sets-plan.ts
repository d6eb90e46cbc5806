import { NocturneError } from '../../../core/errors.js';
import type { SetsConfig, SetsIngestConfig } from '../../../config/schema.js';
import type { Db } from '../../../db/database.js';
import { databaseError } from '../db-errors.js';
import { IdPool } from './id-pool.js';
import { compileGrammar, type FileNameGrammar } from './file-names.js';
import { canonical, FEAT_FILENAME, LOAD_ID, normaliseHeader, referenceMap, ROW_ORDINAL, type MemberSpec } from './header-map.js';
import type { SetTables } from './load-set.js';
import type { MetadataPart } from './metadata.js';
import { naturalKeyProblem, readCatalogue, type CatalogueTable } from './table-columns.js';

export type SpecName = MetadataPart | 'observations' | 'features' | 'tracking';

/** Everything a run compiles once from the pipeline and the catalogue. */
export interface SetsPlan {
  grammar: FileNameGrammar;
  tables: SetTables;
  specs: Map<SpecName, MemberSpec>;
  naturalKeys: Record<MetadataPart, readonly string[]>;
  metadataTables: Record<MetadataPart, CatalogueTable>;
  initWaitMs: number;
  /** Database time before the source was listed: a load committed since makes the listing stale. */
  listedFrom: string;
}

/** The catalogue tables a sets declaration names. */
export function setTableNames(sets: SetsConfig): string[] {
  return [sets.frcInfo.table, sets.observatory.table, sets.observations.table, sets.features.table, ...(sets.tracking ? [sets.tracking.table] : [])];
}

export async function compilePlan(db: Db, stage: SetsIngestConfig, code: { name: string; version: string }, initWaitMs: number): Promise<SetsPlan> {
  const { sets } = stage;
  const catalogue = await readCatalogue(db, sets.catalogue, setTableNames(sets));
  const table = (name: string) => catalogue.get(name)!;
  const aliases = new Map(Object.entries(sets.aliases).map(([from, to]) => [normaliseHeader(from), normaliseHeader(to)]));
  const columnNulls = new Map(Object.entries(sets.columns).map(([column, o]) => [column, new Set(o.nullValues)]));
  const base = { aliases, nullValues: new Set(stage.csv.nullValues), columnNulls, filledIfAbsent: [] as string[] };
  const metadataSpec = (t: CatalogueTable): MemberSpec => ({
    ...base,
    table: t,
    localId: t.identity?.name.toUpperCase(),
    references: new Map(),
    generated: [],
  });
  const specs = new Map<SpecName, MemberSpec>([
    ['frcInfo', metadataSpec(table(sets.frcInfo.table))],
    ['observatory', metadataSpec(table(sets.observatory.table))],
    ['observations', {
      ...base,
      table: table(sets.observations.table),
      localId: canonical(sets.observations.localId, aliases),
      references: referenceMap(sets.observations.references, aliases),
      generated: [LOAD_ID],
    }],
    ['features', {
      ...base,
      table: table(sets.features.table),
      localId: canonical(sets.features.localId, aliases),
      references: referenceMap(sets.features.references, aliases),
      generated: [LOAD_ID, ROW_ORDINAL],
      filledIfAbsent: [FEAT_FILENAME],
    }],
  ]);
  let tracking: SetTables['tracking'];
  if (sets.tracking) {
    const references = referenceMap(sets.tracking.references, aliases);
    const featureColumn = [...references.values()].find((ref) => ref.of === 'features')?.column;
    if (featureColumn === undefined) throw new NocturneError('CONFIG_INVALID', 'ingest.sets.tracking.references names no features column');
    specs.set('tracking', { ...base, table: table(sets.tracking.table), localId: undefined, references, generated: [LOAD_ID] });
    tracking = { table: table(sets.tracking.table), featureColumn };
  }
  for (const part of ['frcInfo', 'observatory'] as const) {
    const problem = await naturalKeyProblem(db, table(sets[part].table), sets[part].naturalKey);
    if (problem) throw new NocturneError('CONFIG_INVALID', `ingest.sets.${part}.naturalKey: ${problem}`);
  }
  const observations = table(sets.observations.table);
  let sequences: { ledger: string | null; observations: string | null; now: string };
  try {
    sequences = await db.one(
      `SELECT pg_get_serial_sequence('ingested_sets', 'id') AS ledger, pg_get_serial_sequence($1, $2) AS observations, clock_timestamp()::text AS now`,
      [observations.sql, observations.identity?.name ?? 'id'],
    );
  } catch (err) {
    throw databaseError(err, 'reading the sequences of the ledger and of observations');
  }
  if (!sequences.ledger || !sequences.observations) {
    throw new NocturneError('CONFIG_INVALID', `table ${observations.name} needs an identity column (its ids are drawn before inserting)`);
  }
  return {
    grammar: compileGrammar(sets, code),
    tables: {
      observations,
      features: table(sets.features.table),
      tracking,
      reemitted: sets.reemitted,
      ids: { ledger: new IdPool(db, sequences.ledger), observations: new IdPool(db, sequences.observations) },
    },
    specs,
    naturalKeys: { frcInfo: sets.frcInfo.naturalKey, observatory: sets.observatory.naturalKey },
    metadataTables: { frcInfo: table(sets.frcInfo.table), observatory: table(sets.observatory.table) },
    initWaitMs,
    listedFrom: sequences.now,
  };
}
