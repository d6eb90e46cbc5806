import { NocturneError } from '../../../core/errors.js';
import { createHash } from 'node:crypto';
import type { WriterDialect } from '../../../config/schema.js';
import type { ResolvedSets, SetsIngestConfig } from '../../../config/types.js';
import type { Db } from '../../../db/database.js';
import { databaseError } from '../../../db/errors.js';
import { IdPool } from './id-pool.js';
import { LoadedFeatures } from './loaded-features.js';
import { compileGrammar, type FileNameGrammar } from './file-names.js';
import {
  canonical,
  EXTRA,
  FEAT_FILENAME,
  LOAD_ID,
  LOCAL_ID,
  normaliseHeader,
  referenceMap,
  ROW_ORDINAL,
  type MemberSpec,
} from './header-map.js';
import type { SetTables } from './load-set.js';
import type { MetadataPart } from './metadata.js';
import { naturalKeyIndex, readCatalogue, type CatalogueTable, type NaturalKey } from './table-columns.js';

export type SpecName = MetadataPart | 'observations' | 'features' | 'tracking';

/** Everything a run compiles once from the pipeline and the catalogue. */
export interface SetsPlan {
  grammar: FileNameGrammar;
  tables: SetTables;
  specs: Map<SpecName, MemberSpec>;
  naturalKeys: Record<MetadataPart, NaturalKey>;
  /** SHA-256 of what decides how a set is read (see configFingerprint()). */
  fingerprint: string;
  metadataTables: Record<MetadataPart, CatalogueTable>;
  initWaitMs: number;
  /** Database time before the source was listed: a load committed since makes the listing stale. */
  listedFrom: string;
}

/** The catalogue tables a sets declaration names. */
export function setTableNames(sets: ResolvedSets): string[] {
  return [
    sets.frcInfo.table,
    sets.observatory.table,
    sets.observations.table,
    sets.features.table,
    ...(sets.tracking ? [sets.tracking.table] : []),
  ];
}

export async function compilePlan(db: Db, stage: SetsIngestConfig, code: { name: string; version: string }): Promise<SetsPlan> {
  const { sets } = stage;
  const catalogue = await readCatalogue(db, sets.catalogue, setTableNames(sets));
  const table = (name: string) => catalogue.get(name)!;
  const aliases = new Map(Object.entries(sets.aliases).map(([from, to]) => [normaliseHeader(from), normaliseHeader(to)]));
  const columns = new Map(
    Object.entries(sets.columns).map(([column, o]) => [
      column,
      {
        ...(o.nullValues ? { nullValues: new Set(o.nullValues) } : {}),
        ...(o.scale ? { scale: o.scale } : {}),
        ...(o.integer ? { integer: o.integer } : {}),
      },
    ]),
  );
  const headers = (list: readonly string[]) => new Set(list.map((h) => canonical(h, aliases)));
  /** The spec of a member: its writer dialect over the pipeline's over csv, its headers ignored or kept. */
  const member = (
    part: SpecName,
    t: CatalogueTable,
    reading: { writer?: WriterDialect | undefined; ignore: string[]; extra: string[] },
    rest: Pick<MemberSpec, 'localId' | 'references' | 'generated' | 'fileNamed'>,
  ): MemberSpec => {
    const writer = { ...sets.writer, ...reading.writer };
    return {
      part,
      table: t,
      dialect: {
        delimiter: stage.csv.delimiter,
        quote: stage.csv.quote,
        encoding: writer.encoding ?? stage.csv.encoding,
        trim: writer.trim ?? false,
        checked: true,
      },
      aliases,
      rules: {
        nullValues: new Set(writer.nullValues ?? stage.csv.nullValues),
        trim: writer.trim ?? false,
        trailingEmptyFields: writer.trailingEmptyFields ?? 0,
        overflow: writer.overflow === undefined ? undefined : canonical(writer.overflow, aliases),
        // The codes' writers end every row; metadata files are often written by hand, some without the last line end.
        finalLineEnd: writer.finalLineEnd ?? !(part === 'frcInfo' || part === 'observatory'),
      },
      columns,
      ignore: headers(reading.ignore),
      extra: headers(reading.extra),
      ...rest,
    };
  };
  const metadataSpec = (part: MetadataPart): MemberSpec => {
    const t = table(sets[part].table);
    return member(part, t, sets[part], {
      localId: t.identity?.name.toUpperCase(),
      references: new Map(),
      generated: [EXTRA],
      fileNamed: [],
    });
  };
  const specs = new Map<SpecName, MemberSpec>([
    ['frcInfo', metadataSpec('frcInfo')],
    ['observatory', metadataSpec('observatory')],
    [
      'observations',
      member('observations', table(sets.observations.table), sets.observations, {
        localId: canonical(sets.observations.localId, aliases),
        references: referenceMap(sets.observations.references, aliases),
        generated: [LOAD_ID, EXTRA],
        fileNamed: [],
      }),
    ],
    [
      'features',
      member('features', table(sets.features.table), sets.features, {
        localId: canonical(sets.features.localId, aliases),
        references: referenceMap(sets.features.references, aliases),
        generated: [LOAD_ID, ROW_ORDINAL, LOCAL_ID, EXTRA],
        fileNamed: [FEAT_FILENAME],
      }),
    ],
  ]);
  let tracking: SetTables['tracking'];
  if (sets.tracking) {
    const references = referenceMap(sets.tracking.references, aliases);
    const featureColumn = [...references.values()].find((ref) => ref.of === 'features')?.column;
    if (featureColumn === undefined) throw new NocturneError('CONFIG_INVALID', 'ingest.sets.tracking.references names no features column');
    specs.set(
      'tracking',
      member('tracking', table(sets.tracking.table), sets.tracking, {
        localId: undefined,
        references,
        generated: [LOAD_ID, EXTRA],
        fileNamed: [],
      }),
    );
    tracking = { table: table(sets.tracking.table), featureColumn, featureId: sets.tracking.featureId };
  }
  const naturalKeys = {} as Record<MetadataPart, NaturalKey>;
  for (const part of ['frcInfo', 'observatory'] as const) {
    const key = await naturalKeyIndex(db, table(sets[part].table), sets[part].naturalKey);
    if (typeof key === 'string') throw new NocturneError('CONFIG_INVALID', `ingest.sets.${part}.naturalKey: ${key}`);
    naturalKeys[part] = key;
  }
  const observations = table(sets.observations.table);
  const features = table(sets.features.table);
  let sequences: { ledger: string | null; observations: string | null; features: string | null; now: string };
  try {
    sequences = await db.one(
      `SELECT pg_get_serial_sequence('ingested_sets', 'id') AS ledger, pg_get_serial_sequence($1, $2) AS observations,
              pg_get_serial_sequence($3, $4) AS features, clock_timestamp()::text AS now`,
      [observations.sql, observations.identity?.name ?? 'id', features.sql, features.identity?.name ?? 'id'],
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
      features,
      tracking,
      reemitted: sets.reemitted,
      ids: {
        ledger: new IdPool(db, sequences.ledger),
        observations: new IdPool(db, sequences.observations),
        // Without a sequence the features' ids are the table's own, and track files look them up.
        features: tracking && sequences.features ? new IdPool(db, sequences.features) : undefined,
      },
      loadedFeatures: new LoadedFeatures(),
    },
    specs,
    naturalKeys,
    fingerprint: configFingerprint(stage, code),
    metadataTables: { frcInfo: table(sets.frcInfo.table), observatory: table(sets.observatory.table) },
    initWaitMs: sets.initWaitMs,
    listedFrom: sequences.now,
  };
}

/**
 * What a rejection is decided under, as far as the pipeline goes: the code and how its
 * files are read (csv and sets, timing keys left out). A set rejected under another
 * fingerprint is read again (see set-ledger.ts).
 */
export function configFingerprint(stage: SetsIngestConfig, code: { name: string; version: string }): string {
  const { initWaitMs: _wait, reemitted: _reemitted, ...sets } = stage.sets;
  return createHash('sha256')
    .update(JSON.stringify({ code, csv: stage.csv, sets }))
    .digest('hex');
}
