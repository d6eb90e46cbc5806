import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The built command (npm run build), run from the repository root as an operator would.
const REPO = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(REPO, 'bin/nocturne.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `nocturne validate --config <dir>` with only the variables given (no secret leaks in from the shell). */
async function validate(dir: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const options = { cwd: REPO, env: { PATH: process.env['PATH'], ...env } };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'validate', '--config', dir], options);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as Ran;
    return { code, stdout, stderr };
  }
}

const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

describe('nocturne validate', () => {
  it("accepts the repository's example configuration: exit 0 and the pipelines", async () => {
    expect(await validate('.')).toEqual({
      code: 0,
      stdout: `ok: ${REPO}: 3 pipelines (rabat3, sdoss, spoca-ar)\n`,
      stderr: '',
    });
  });

  it('lists every problem of both files, located, and exits 78', async () => {
    const ran = await validate('test/fixtures/config/several');
    const at = 'test/fixtures/config/several';
    expect(ran.code).toBe(78);
    expect(ran.stdout).toBe('');
    expect(ran.stderr.split('\n')).toEqual([
      `${at}/config/nocturne.yaml:2:8: database.url: must be a postgres:// URL`,
      `${at}/config/nocturne.yaml:3:3: database: unknown key "poolsize"; did you mean "poolSize"?`,
      `${at}/config/nocturne.yaml:6:11: targets.archive.type: plain FTP sends the password in clear: use type ftps, or set insecure: true`,
      `${at}/config/nocturne.yaml:9:15: targets.archive.password: secret from environment variable NOCTURNE_FIXTURE_UNSET is unavailable: not set`,
      `${at}/config/nocturne.yaml:11:11: http.listen: expected a string, got number 9464`,
      `${at}/pipelines/sdoss.yaml:8:3: run: unknown key "catchup"; did you mean "catchUp"?`,
      `${at}/pipelines/sdoss.yaml:10:13: upload.schedule: invalid cron expression "0 * * * * * * *": 8 fields: write 5 (minute hour day-of-month month day-of-week)`,
      `${at}/pipelines/sdoss.yaml:11:11: upload.target: unknown target "archives"; did you mean "archive"?`,
      `${at}/pipelines/sdoss.yaml:18:36: ingest.columns.id_feat.type: "integer" is not one of int, bigint, float, text, bool, timestamp`,
      `${at}/pipelines/sdoss.yaml:19:5: ingest.columns.date_obs: a timestamp column needs a format, e.g. "%Y-%m-%dT%H:%M:%S"`,
      `${at}/pipelines/sdoss.yaml:20:16: ingest.naturalKey[0]: column "id" is not in columns (columns: id_feat, date_obs)`,
      `${at}/pipelines/sdoss.yaml:21:21: ingest.badRows.policy: "skip" is not one of reject, quarantine`,
      '12 problems in 2 files',
      '',
    ]);
  });

  it('never prints a secret written inline', async () => {
    const ran = await validate('test/fixtures/config/secret-shape');
    expect(ran.code).toBe(78);
    expect(ran.stderr).toContain(
      'test/fixtures/config/secret-shape/config/nocturne.yaml:3:13: database.password: must be a secret reference',
    );
    expect(ran.stderr).not.toContain('hunter2');
  });

  it('resolves the secrets from the environment it runs in', async () => {
    const dir = 'test/fixtures/config/plain-ftp';
    expect((await validate(dir)).stderr).toContain('NOCTURNE_FIXTURE_FTP_PASSWORD is unavailable: not set');
    expect((await validate(dir, { NOCTURNE_FIXTURE_FTP_PASSWORD: 'x' })).stderr).not.toContain('NOCTURNE_FIXTURE_FTP_PASSWORD');
  });

  it('needs no database: a URL where nothing listens still validates', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-validate-'));
    scratch.push(dir);
    await cp(path.join(REPO, 'pipelines'), path.join(dir, 'pipelines'), { recursive: true });
    const daemon = await readFile(path.join(REPO, 'config/nocturne.yaml'), 'utf8');
    const unreachable = daemon.replace('postgres://postgres@127.0.0.1:5432/nocturne', 'postgres://nocturne@127.0.0.1:1/nowhere');
    expect(unreachable).not.toBe(daemon);
    await cp(path.join(REPO, 'config'), path.join(dir, 'config'), { recursive: true });
    await writeFile(path.join(dir, 'config/nocturne.yaml'), unreachable);
    expect(await validate(dir)).toEqual({ code: 0, stdout: `ok: ${dir}: 3 pipelines (rabat3, sdoss, spoca-ar)\n`, stderr: '' });
  });

  it('exits 78 when the directory holds no configuration', async () => {
    const ran = await validate('/nonexistent/nocturne');
    expect(ran).toEqual({
      code: 78,
      stdout: '',
      stderr: '/nonexistent/nocturne/config/nocturne.yaml:1:1: cannot read: no such file\n1 problem in 1 file\n',
    });
  });
});
