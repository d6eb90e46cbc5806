import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { formatPath } from '../../../src/config/issues.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import { secretPaths } from '../../../src/config/secret-check.js';
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

  it('quotes at most 60 characters of a value or key: a file may hold a megabyte where a word goes', () => {
    const long = 'x'.repeat(300_000);
    const upload = { schedule: '5 * * * *', target: 'archive', remoteDir: '/hfc' };
    expect(problems(pipelineSchema, { ...PIPELINE, upload: { ...upload, verify: long } })).toEqual([
      `upload.verify (value): "${'x'.repeat(60)}…" is not one of size, sha256-readback, server-hash`,
    ]);
    const [unknown] = problems(pipelineSchema, { ...PIPELINE, upload: { ...upload, [long]: 1 } });
    // (The key's path is printed here by the test; validate gives the file:line:col instead.)
    expect(unknown).toContain(`: unknown key "${'x'.repeat(60)}…"`);
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
      'database.password.env (value): must be the name of an environment variable: letters, digits and "_"',
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

describe('zodProblems on unions', () => {
  it("follows the member a mapping's keys name, so its own mistakes are the ones told", () => {
    const auth = { trustedProxy: { userHeadr: 'X-User', secret: 'Hunter2Secret' } };
    expect(problems(daemonConfigSchema, { database: DATABASE, http: { auth } })).toEqual([
      'http.auth.trustedProxy.secret (value): must be a secret reference: exactly one of {env: NAME}, {file: PATH} or {credential: NAME}, never the secret itself',
      'http.auth.trustedProxy.userHeadr (key): unknown key "userHeadr"; did you mean "userHeader"?',
    ]);
  });

  it('says what a union that is not of mappings takes', () => {
    const source = (value: unknown) => problems(pipelineSchema, { ...PIPELINE, ingest: { ...INGEST, source: { dir: value } } });
    expect(problems(pipelineSchema, { ...PIPELINE, ingest: { ...INGEST, source: 5 } })).toEqual([
      'ingest.source (value): must be a mapping with the keys {target, dir} or {dir}',
    ]);
    expect(source(5)).toEqual(['ingest.source.dir (value): expected a string, got number 5']);
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

  // A secret written where its variable's name goes would otherwise be quoted in "unavailable" messages.
  it('takes only the name of an environment variable, never quoting what was written', () => {
    expect(password({ env: 'Hunter2 Secret!' })).toEqual([
      'database.password.env (value): must be the name of an environment variable: letters, digits and "_"',
    ]);
    expect(password({ env: 'NOCTURNE_DB_PASSWORD' })).toEqual([]);
  });

  it('refuses a credential name that would leave $CREDENTIALS_DIRECTORY', () => {
    for (const name of ['../../etc/hostname', 'a/b', '..', '.']) {
      expect(password({ credential: name })).toEqual([
        'database.password.credential (value): must be a credential name: a file of $CREDENTIALS_DIRECTORY itself, without "/", not "." or ".."',
      ]);
    }
    expect(password({ credential: 'nocturne-db.password' })).toEqual([]);
  });

  // Described in place (zod's describe() makes a new schema): once missed by every check.
  it('knows the secret references of http.auth, and finds them to resolve at start', () => {
    const http = (auth: unknown) => problems(daemonConfigSchema, { database: DATABASE, http: { auth } });
    expect(http({ user: 'bob', passwordHash: 'scrypt:16384:8:1:c2FsdA==:aGFzaA==' })).toEqual([
      'http.auth.passwordHash (value): must be a secret reference: exactly one of {env: NAME}, {file: PATH} or {credential: NAME}, never the secret itself',
    ]);
    expect(secretPaths({ http: { auth: { user: 'bob', passwordHash: { env: 'HASH' } } } })).toEqual([['http', 'auth', 'passwordHash']]);
    expect(secretPaths({ http: { auth: { trustedProxy: { userHeader: 'X-User', secret: { file: 'proxy.secret' } } } } })).toEqual([
      ['http', 'auth', 'trustedProxy', 'secret'],
    ]);
  });
});

describe('durations', () => {
  it("refuses a timer's wait over 24 days, a pace or deadline of 0, a retention under a day", () => {
    expect(problems(pipelineSchema, { ...PIPELINE, ingest: { ...INGEST, timeout: '30d' } })).toEqual([
      'ingest.timeout (value): must be at most 24d: a timer waits for it, and none waits longer',
    ]);
    expect(problems(pipelineSchema, { ...PIPELINE, ingest: { ...INGEST, timeout: '0s' } })).toEqual([
      'ingest.timeout (value): must be longer than 0',
    ]);
    expect(problems(daemonConfigSchema, { database: DATABASE, host: { heartbeat: '0s' } })).toEqual([
      'host.heartbeat (value): must be longer than 0',
    ]);
    expect(problems(daemonConfigSchema, { database: DATABASE, retention: { runs: '0d' } })).toEqual([
      'retention.runs (value): must be at least 1d',
    ]);
    // Compared with ages, never waited for: no timer's limit.
    const alerts = { remindEvery: '30d' };
    expect(problems(daemonConfigSchema, { database: DATABASE, retention: { runs: '400d' }, host: { heartbeat: '24d' }, alerts })).toEqual(
      [],
    );
  });

  it('refuses any duration over 100 years, which PostgreSQL intervals and dates cannot carry', () => {
    expect(problems(daemonConfigSchema, { database: DATABASE, alerts: { remindEvery: '999999999d' } })).toEqual([
      'alerts.remindEvery (value): must be at most 36500d (100 years)',
    ]);
    expect(problems(daemonConfigSchema, { database: DATABASE, alerts: { remindEvery: '36500d' } })).toEqual([]);
  });
});
