import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIssue } from '../../../src/config/issues.js';
import { loadConfig } from '../../../src/config/load.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/config');

/** Every line loadConfig reports for a fixture directory, exactly as `nocturne validate` prints them. */
async function reported(name: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const result = await loadConfig(path.join(FIXTURES, name), env);
  if (result.ok) throw new Error(`fixture ${name} loaded without a problem`);
  return result.issues.map(formatIssue);
}

/**
 * Expected lines are written relative to the fixture, as files are shown relative to the
 * current directory; in messages, {shown} stands for that prefix and {abs} for the fixture's absolute path.
 */
function located(name: string, lines: string[]): string[] {
  const dir = path.join(FIXTURES, name);
  const shown = path.relative(process.cwd(), dir);
  return lines.map((line) => `${shown}/${line}`.replaceAll('{shown}', shown).replaceAll('{abs}', dir));
}

const ALLOWED_UPLOAD_KEYS =
  'schedule, timezone, catchUp, maxCatchUp, overrun, retries, timeout, from, include, verify, deleteAfterVerify, quicklooks';

const CASES: Record<string, { env?: NodeJS.ProcessEnv; lines: string[] }> = {
  'yaml-syntax': {
    lines: ['pipelines/sdoss.yaml:3:1: Flow map in block collection must be sufficiently indented and end with a }'],
  },
  'duplicate-key': { lines: ['config/nocturne.yaml:7:5: duplicate key "path"'] },
  'unknown-key': {
    lines: [
      'pipelines/sdoss.yaml:4:3: upload: unknown key "schedul"; did you mean "schedule"?',
      `pipelines/sdoss.yaml:7:3: upload: unknown key "colour" (allowed here: ${ALLOWED_UPLOAD_KEYS})`,
    ],
  },
  'wrong-type': {
    lines: [
      'pipelines/sdoss.yaml:2:30: code.version: expected a string, got number 1.06',
      'pipelines/sdoss.yaml:7:22: upload.deleteAfterVerify: expected true or false, got a string (YAML 1.2 reads yes as text: write true or false)',
      'pipelines/sdoss.yaml:8:12: upload.include: expected a list, got a string',
    ],
  },
  'bad-enum': {
    lines: [
      'config/nocturne.yaml:4:9: executor.type: "pbs" is not one of slurm, local',
      'config/nocturne.yaml:7:11: targets.archive.type: "nfs" is not one of ftp, ftps, sftp, local',
      'pipelines/sdoss.yaml:7:11: upload.verify: "md5" is not one of size, sha256-readback, server-hash',
    ],
  },
  'bad-cron': {
    lines: [
      'pipelines/quartz.yaml:4:13: upload.schedule: invalid cron expression "0 2 L * ?": field 3 (day-of-month) "L": Quartz\'s L, W, # and ? are not accepted',
      'pipelines/quartz.yaml:8:13: ingest.schedule: invalid cron expression "@daily": @nicknames are not accepted; write its 5 fields instead: "0 0 * * *"',
      'pipelines/sdoss.yaml:4:13: upload.schedule: invalid cron expression "0 25 * * *": field 2 (hour) "25": 25 is not in 0-23',
      'pipelines/sdoss.yaml:8:13: ingest.schedule: cron expression "0 2 30 2 *" never fires',
      'pipelines/steps.yaml:4:13: upload.schedule: invalid cron expression "5/15 * * * *": field 1 (minute) "5/15": a step needs "*" or a range before it: write "5-59/15"',
      'pipelines/steps.yaml:8:13: warning: ingest.schedule: "*/2 * * * * *" fires 30 times a minute (its first field is seconds): too often for a pipeline',
      'pipelines/years.yaml:4:13: upload.schedule: invalid cron expression "*/15 * * * * * *": 7 fields: a year field is not accepted; write 5 fields (minute hour day-of-month month day-of-week)',
      'pipelines/years.yaml:8:13: ingest.schedule: invalid cron expression "0 2 * * * *": 6 fields: the first is then seconds, "2" the minute and "*" the hour; a seconds field is only for schedules that fire several times a minute: write 5 fields (e.g. "0 2 * * *")',
    ],
  },
  'bad-timezone': {
    lines: [
      'pipelines/sdoss.yaml:5:13: upload.timezone: unknown IANA time zone "Europe/Pari"; did you mean "Europe/Paris"?',
      'pipelines/sdoss.yaml:10:13: ingest.timezone: unknown IANA time zone "Mars/Olympus" (an IANA name such as Europe/Paris or UTC)',
    ],
  },
  'name-mismatch': {
    lines: [
      'pipelines/sdoss.yaml:1:7: name: pipeline name "sdos" differs from its file name "sdoss.yaml": rename the file to sdos.yaml, or write name: sdoss',
    ],
  },
  'duplicate-name': {
    lines: [
      'pipelines/sdoss2.yaml:1:7: name: pipeline name "sdoss" differs from its file name "sdoss2.yaml": rename the file to sdoss.yaml, or write name: sdoss2',
      'pipelines/sdoss2.yaml:1:7: name: pipeline name "sdoss" is already used by {shown}/pipelines/sdoss.yaml',
    ],
  },
  'unknown-target': {
    lines: [
      'pipelines/sdoss.yaml:5:11: upload.target: unknown target "archiv"; did you mean "archive"?',
      'pipelines/sdoss.yaml:9:20: ingest.source.target: unknown target "catalogue-ftp" (targets of config/nocturne.yaml: archive)',
    ],
  },
  'plain-ftp': {
    env: { NOCTURNE_FIXTURE_FTP_PASSWORD: 'not-checked-here' },
    lines: ['config/nocturne.yaml:5:11: targets.archive.type: plain FTP sends the password in clear: use type ftps, or set insecure: true'],
  },
  'sftp-no-auth': {
    lines: ['config/nocturne.yaml:4:3: targets.archive: an SFTP target needs privateKey (preferred) or password'],
  },
  'natural-key': {
    lines: [
      'pipelines/sdoss.yaml:10:16: ingest.naturalKey[0]: column "feat_filname" is not in columns; did you mean "feat_filename"?',
      'pipelines/sdoss.yaml:10:39: ingest.naturalKey[2]: column "obs_id" is not in columns (columns: id_feat, feat_filename)',
    ],
  },
  'timestamp-format': {
    lines: [
      'pipelines/sdoss.yaml:9:5: ingest.columns.date_obs: a timestamp column needs a format, e.g. "%Y-%m-%dT%H:%M:%S"',
      'pipelines/sdoss.yaml:10:57: ingest.columns.run_date.format: timestamp format "%Y-%m %H:%M" has no %d',
    ],
  },
  'secret-shape': {
    lines: [
      'config/nocturne.yaml:2:8: database.url: holds a password: remove it, and reference it in database.password',
      'config/nocturne.yaml:3:13: database.password: must be a secret reference: exactly one of {env: NAME}, {file: PATH} or {credential: NAME}, never the secret itself',
      'config/nocturne.yaml:9:15: targets.archive.password: must be a secret reference: exactly one of {env: NAME}, {file: PATH} or {credential: NAME}, never the secret itself',
      'config/nocturne.yaml:14:18: targets.mirror.privateKey: unknown key "envv"; did you mean "env"?',
    ],
  },
  'missing-key': {
    lines: [
      'config/nocturne.yaml:2:1: missing required key "database"',
      'pipelines/sdoss.yaml:1:1: missing required key "code"',
      'pipelines/sdoss.yaml:2:1: upload: missing required key "remoteDir"',
      'pipelines/sdoss.yaml:7:3: ingest.source: missing required key "dir"',
      'pipelines/sdoss.yaml:10:5: ingest.columns.id_feat: missing required key "type"',
    ],
  },
  placeholders: {
    lines: [
      'pipelines/eit.yml:1:1: pipeline files end in .yaml: rename to eit.yaml',
      'pipelines/sdoss.yaml:7:11: run.inputs.glob: unknown placeholder {code} (allowed: {yyyy} {mm} {dd})',
      'pipelines/sdoss.yaml:11:14: upload.remoteDir: unknown placeholder {instrument} (allowed: {pipeline} {code} {version} {yyyy} {mm} {dd})',
      'pipelines/soho.YAML:1:1: pipeline files end in .yaml: rename to soho.yaml',
    ],
  },
  secrets: {
    lines: [
      'config/nocturne.yaml:3:13: database.password: secret from environment variable NOCTURNE_FIXTURE_DB_PASSWORD is unavailable: not set',
      'config/nocturne.yaml:9:17: targets.archive.privateKey: secret from file {abs}/secrets/group-readable.key is unavailable: readable by group or other (chmod 600)',
      'config/nocturne.yaml:10:17: targets.archive.passphrase: secret from file {abs}/secrets/missing.key is unavailable: no such file',
      'config/nocturne.yaml:11:15: targets.archive.password: secret from credential archive-password is unavailable: $CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)',
    ],
  },
  // Several kinds of problem in both files: all of them come out of one pass.
  several: {
    lines: [
      'config/nocturne.yaml:2:8: database.url: must be a postgres:// URL',
      'config/nocturne.yaml:3:3: database: unknown key "poolsize"; did you mean "poolSize"?',
      'config/nocturne.yaml:6:11: targets.archive.type: plain FTP sends the password in clear: use type ftps, or set insecure: true',
      'config/nocturne.yaml:9:15: targets.archive.password: secret from environment variable NOCTURNE_FIXTURE_UNSET is unavailable: not set',
      'config/nocturne.yaml:11:11: http.listen: expected a string, got number 9464',
      'pipelines/sdoss.yaml:8:3: run: unknown key "catchup"; did you mean "catchUp"?',
      'pipelines/sdoss.yaml:10:13: upload.schedule: invalid cron expression "0 * * * * * * *": 8 fields: write 5 (minute hour day-of-month month day-of-week)',
      'pipelines/sdoss.yaml:11:11: upload.target: unknown target "archives"; did you mean "archive"?',
      'pipelines/sdoss.yaml:18:36: ingest.columns.id_feat.type: "integer" is not one of int, bigint, float, text, bool, timestamp',
      'pipelines/sdoss.yaml:19:5: ingest.columns.date_obs: a timestamp column needs a format, e.g. "%Y-%m-%dT%H:%M:%S"',
      'pipelines/sdoss.yaml:20:16: ingest.naturalKey[0]: column "id" is not in columns (columns: id_feat, date_obs)',
      'pipelines/sdoss.yaml:21:21: ingest.badRows.policy: "skip" is not one of reject, quarantine',
    ],
  },
};

// git keeps no file modes but the executable bit: set the one the secrets case is about.
beforeAll(() => chmod(path.join(FIXTURES, 'secrets/secrets/group-readable.key'), 0o644));

describe('loadConfig on malformed configurations', () => {
  for (const [name, { env, lines }] of Object.entries(CASES)) {
    it(`reports ${name} at its place`, async () => {
      expect(await reported(name, env)).toEqual(located(name, lines));
    });
  }

  it('looks for credentials in $CREDENTIALS_DIRECTORY', async () => {
    const env = { NOCTURNE_FIXTURE_DB_PASSWORD: 'set', CREDENTIALS_DIRECTORY: path.join(FIXTURES, 'secrets/secrets') };
    expect((await reported('secrets', env)).at(-1)).toBe(
      located('secrets', [
        'config/nocturne.yaml:11:15: targets.archive.password: secret from credential archive-password is unavailable: no such file',
      ])[0],
    );
  });
});
