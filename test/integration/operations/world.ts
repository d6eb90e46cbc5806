/**
 * A configuration directory with one pipeline ("eit") whose ingest stage loads single CSV
 * files into a table of the test's schema, for the operations commands run as the real
 * command line (retry, pause, resume, hosts, status, history).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';

export interface OpsWorld {
  t: TestDb;
  dir: string;
  csv: string;
  /** The catalogue table: feature_id < 1,000,000 until `fixTable` (a source "corrected"). */
  table: string;
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Writes a CSV of the ids from `first` to `first + count - 1`, plus `extra` ids. */
  writeCsv(name: string, first: number, count: number, extra?: number[]): Promise<void>;
  fixTable(): Promise<void>;
  breakTable(): Promise<void>;
  close(): Promise<void>;
}

export interface OpsWorldOptions {
  /** The ingest stage's schedule. @default once a year */
  schedule?: string;
  /** host section of config/nocturne.yaml. */
  host?: Record<string, unknown>;
}

export async function opsWorld(label: string, options: OpsWorldOptions = {}): Promise<OpsWorld> {
  const t = await createTestDb(label);
  const dir = await mkdtemp(path.join(os.tmpdir(), `nocturne-${label}-`));
  const csv = path.join(dir, 'csv');
  await mkdir(csv);
  const table = `${t.schema}.features`;
  await t.db.none(
    `CREATE TABLE $1:name.features (feature_id bigint PRIMARY KEY CONSTRAINT small_ids CHECK (feature_id < 1000000), ingested_file_id bigint)`,
    [t.schema],
  );
  const pipeline = [
    'name: eit',
    'code: {name: eit, version: "1.0"}',
    'ingest:',
    `  schedule: "${options.schedule ?? '0 0 1 1 *'}"`,
    '  retries: 0',
    `  source: {dir: "${csv}"}`,
    `  table: ${table}`,
    '  columns: {feature_id: {from: id, type: bigint}}',
    '  naturalKey: [feature_id]',
    '',
  ].join('\n');
  await writeDaemonConfig(dir, {
    pgUrl: t.url,
    schema: t.schema,
    port: 1,
    pipelines: { eit: pipeline },
    extra: { http: { enabled: false }, ...(options.host ? { host: options.host } : {}) },
  });
  return {
    t,
    dir,
    csv,
    table,
    cli: (...args) => nocturne([...args, '--config', dir]),
    async writeCsv(name, first, count, extra = []) {
      const ids = [...Array.from({ length: count }, (_, i) => first + i), ...extra];
      await writeFile(path.join(csv, name), `id\n${ids.join('\n')}\n`);
    },
    fixTable: async () => void (await t.db.none('ALTER TABLE $1:name.features DROP CONSTRAINT small_ids', [t.schema])),
    breakTable: async () =>
      void (await t.db.none('ALTER TABLE $1:name.features ADD CONSTRAINT small_ids CHECK (feature_id < 1000000) NOT VALID', [t.schema])),
    async close() {
      await t.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
