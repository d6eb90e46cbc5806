import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const BIN = path.join(REPO, 'bin/nocturne.js');

async function validateDb(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'validate', '--db', '--config', dir]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    return err as { code: number; stdout: string; stderr: string };
  }
}

/** The example configuration, on the rig's database, with its HFC catalogue in schema `catalogue`. */
async function exampleConfig(t: TestDb, catalogue: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-validate-db-'));
  await cp(path.join(REPO, 'config'), path.join(dir, 'config'), { recursive: true });
  await cp(path.join(REPO, 'pipelines'), path.join(dir, 'pipelines'), { recursive: true });
  const daemon = path.join(dir, 'config/nocturne.yaml');
  const text = (await readFile(daemon, 'utf8'))
    .replace(/url: postgres:\/\/\S+/, `url: ${t.url}`)
    .replace(/schema: nocturne/, `schema: ${t.schema}`);
  await writeFile(daemon, text);
  for (const file of await readdir(path.join(dir, 'pipelines'))) {
    const p = path.join(dir, 'pipelines', file);
    await writeFile(p, (await readFile(p, 'utf8')).replace(/catalogue: hfc\b/, `catalogue: ${catalogue}`));
  }
  return dir;
}

describe('nocturne validate --db', () => {
  let t: TestDb;
  const dirs: string[] = [];
  beforeAll(async () => {
    t = await createTestDb('validate_db');
  });
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    await t?.drop();
  });

  it('names each pipeline file and says how to install the catalogue when it is missing: exit 78', async () => {
    const missing = `${t.schema}_nothing`;
    const dir = await exampleConfig(t, missing);
    dirs.push(dir);
    const { code, stderr } = await validateDb(dir);
    expect(code).toBe(78);
    for (const pipeline of ['sdoss', 'rabat3']) {
      expect(stderr).toMatch(
        new RegExp(
          `pipelines/${pipeline}\\.yaml:\\d+:\\d+: ingest\\.sets\\.catalogue: schema ${missing} holds none of the catalogue's tables: install the catalogue .*install\\.psql`,
        ),
      );
    }
  });

  it('accepts the example pipelines once the catalogue is installed', async () => {
    const catalogue = `${t.schema}_hfc`;
    await installCatalogue(t.db, { schema: catalogue, stateSchema: t.schema });
    const dir = await exampleConfig(t, catalogue);
    dirs.push(dir);
    const ran = await validateDb(dir);
    expect(ran, ran.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining('tables checked') });
    await t.db.none('DROP SCHEMA $1:name CASCADE', [catalogue]);
  });

  it('warns, exit 0, when the input glob of a run stage found nothing in its last 3 runs', async () => {
    const catalogue = `${t.schema}_quiet`;
    await installCatalogue(t.db, { schema: catalogue, stateSchema: t.schema });
    const dir = await exampleConfig(t, catalogue);
    dirs.push(dir);
    const run = (pipeline: string, slot: string, observations: number) =>
      t.db.none(
        `INSERT INTO runs (pipeline, stage, slot, trigger, state, host, pid, lease_until, finished_at, stats)
         VALUES ($1, 'run', $2, 'schedule', 'succeeded', 'h', 1, now(), now(), $3)`,
        [pipeline, slot, { observations }],
      );
    await run('sdoss', '2026-11-17T01:00:00Z', 4);
    for (const day of ['18', '19', '20']) await run('sdoss', `2026-11-${day}T01:00:00Z`, 0);
    // rabat3 found nothing twice, then something: no warning.
    for (const [day, found] of [
      ['18', 0],
      ['19', 0],
      ['20', 2],
    ] as const) {
      await run('rabat3', `2026-11-${day}T01:00:00Z`, found);
    }
    const ran = await validateDb(dir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr.split('\n')).toEqual([
      `${dir}/pipelines/sdoss.yaml:22:5: warning: run.inputs.glob: matched nothing in the last 3 runs (slots of 2026-11-18, 2026-11-19, 2026-11-20): is the directory right?`,
      '1 warning in 1 file',
      '',
    ]);
    await t.db.none('DROP SCHEMA $1:name CASCADE', [catalogue]);
  });
});
