import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { formatPath } from '../../../src/config/issues.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import { zodProblems } from '../../../src/config/zod-issues.js';

/** `path (anchor): message` for each problem zod finds in `data`. */
function problems(schema: z.ZodType, data: unknown): string[] {
  const result = schema.safeParse(data);
  if (result.success) return [];
  return zodProblems(schema, data, result.error.issues).map((p) => `${formatPath(p.path)} (${p.anchor}): ${p.message}`);
}

const DATABASE = { url: 'postgres://nocturne@127.0.0.1/nocturne' };
const PIPELINE = { name: 'sdoss', code: { name: 'sdoss', version: '1.06' } };
const INGEST = {
  schedule: '*/15 * * * *',
  source: { dir: 'incoming' },
  table: 'hfc.sunspots',
  columns: { id_feat: { from: 'ID_FEAT', type: 'int' } },
  naturalKey: ['id_feat'],
};

describe('zodProblems', () => {
  it("says which tags a target's missing type may take", () => {
    expect(problems(daemonConfigSchema, { database: DATABASE, targets: { archive: { path: 'x' } } })).toEqual([
      'targets.archive.type (missing): missing required key "type" (one of ftp, ftps, sftp, local)',
    ]);
  });

  it('points a bad record name at the key', () => {
    expect(problems(daemonConfigSchema, { database: DATABASE, targets: { Archive: { type: 'local', path: 'x' } } })).toEqual([
      'targets.Archive (key): invalid name "Archive": must be lower-case letters, digits, "-" or "_", starting with a letter',
    ]);
  });

  it('says what shapes a union of mappings takes, without quoting the value', () => {
    expect(problems(pipelineSchema, { ...PIPELINE, ingest: { ...INGEST, source: 'ftp://user:pw@host/' } })).toEqual([
      'ingest.source (value): must be a mapping with the keys {target, dir} or {dir}',
    ]);
  });

  it('follows the union member that fits best', () => {
    expect(problems(daemonConfigSchema, { database: { ...DATABASE, password: { env: '' } } })).toEqual([
      'database.password.env (value): must not be empty',
    ]);
  });

  it('words sizes and bounds', () => {
    const ingest = { ...INGEST, columns: {}, naturalKey: [], csv: { delimiter: ';;' } };
    expect(problems(pipelineSchema, { ...PIPELINE, ingest })).toEqual([
      'ingest.csv.delimiter (value): must be exactly 1 character long',
      'ingest.columns (value): must map at least one column',
      'ingest.naturalKey (value): must list at least one item',
    ]);
    expect(problems(daemonConfigSchema, { database: { ...DATABASE, poolSize: 1000 }, executor: { local: { concurrency: 1.5 } } })).toEqual([
      'database.poolSize (value): must be at most 100',
      'executor.local.concurrency (value): expected an integer, got number 1.5',
    ]);
  });

  it('calls an empty value what it is', () => {
    expect(problems(pipelineSchema, { ...PIPELINE, code: null })).toEqual(['code (value): expected a mapping, got an empty value']);
  });
});

describe('zodProblems on secret references', () => {
  const password = (value: unknown) => problems(daemonConfigSchema, { database: { ...DATABASE, password: value } });
  const NOT_A_REF =
    'database.password (value): must be a secret reference: exactly one of {env: NAME}, {file: PATH} or {credential: NAME}, never the secret itself';

  it('never echoes a secret written inline, as a value or as a key', () => {
    expect(password('s3cret')).toEqual([NOT_A_REF]);
    expect(password(123456)).toEqual([NOT_A_REF]);
    expect(password({ s3cret: null })).toEqual([NOT_A_REF]);
    expect(password({ env: 'PGPASSWORD', s3cret: null })).toEqual([NOT_A_REF]);
  });

  it('names a misspelt key of the reference', () => {
    expect(password({ credentail: 'db' })).toEqual([
      'database.password.credentail (key): unknown key "credentail"; did you mean "credential"?',
    ]);
  });

  it('wants exactly one way', () => {
    expect(password({ env: 'PGPASSWORD', file: '/etc/nocturne/db' })).toEqual([NOT_A_REF]);
    expect(password({})).toEqual([NOT_A_REF]);
  });
});
