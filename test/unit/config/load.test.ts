import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/config/durations.js';
import { loadConfig } from '../../../src/config/load.js';
import type { NocturneConfig } from '../../../src/config/types.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/config');
const VALID = path.join(FIXTURES, 'valid');
const VALID_ENV = { NOCTURNE_FIXTURE_DB_PASSWORD: 'set', CREDENTIALS_DIRECTORY: path.join(VALID, 'credentials') };

async function load(dir: string, env: NodeJS.ProcessEnv): Promise<NocturneConfig> {
  const result = await loadConfig(dir, env);
  if (!result.ok) throw new Error(`unexpected problems:\n${result.issues.map((i) => i.message).join('\n')}`);
  return result.config;
}

// git keeps no file modes but the executable bit: a secret file must not be readable by others.
beforeAll(() => chmod(path.join(VALID, 'secrets/archive.key'), 0o600));

describe('loadConfig on a valid configuration', () => {
  it('makes every relative path absolute, against the configuration directory', async () => {
    const config = await load(path.relative(process.cwd(), VALID), VALID_ENV);
    expect(config.dir).toBe(VALID);
    expect(config.paths).toEqual({
      state: `${VALID}/state`,
      outbox: `${VALID}/state/outbox`,
      quarantine: `${VALID}/state/quarantine`,
      logs: '/var/log/nocturne',
      work: `${VALID}/state/work`,
    });
    expect(config.daemon.paths).toEqual(config.paths);
    expect(config.daemon.targets['archive']).toMatchObject({ privateKey: { file: `${VALID}/secrets/archive.key` } });
    expect(config.daemon.targets['catalogue']).toMatchObject({ ca: `${VALID}/certs/catalogue-ca.pem` });
    const { run, ingest } = config.pipelines.get('sdoss')?.config ?? {};
    expect(run?.command).toEqual([`${VALID}/bin/sdoss`, '--input', '{input}', '--outdir', '{outdir}']);
    expect(run?.inputs.glob).toBe(`${VALID}/data/{yyyy}/{mm}/{dd}/*.{fits,fts}`);
    expect(ingest?.source).toEqual({ target: 'catalogue', dir: '/hfc/sdoss' });
  });

  it('applies the defaults of the schema', async () => {
    const config = await load(VALID, VALID_ENV);
    expect(config.daemon.executor).toEqual({
      type: 'local',
      slurm: { pollIntervalMs: 10_000, lostAfterMs: 300_000 },
      local: { concurrency: 2 },
    });
    const { upload, ingest } = config.pipelines.get('sdoss')?.config ?? {};
    expect(upload).toMatchObject({ timezone: 'UTC', verify: 'size', include: ['*.csv', '*.jpg'], deleteAfterVerify: true });
    expect(ingest?.csv).toEqual({ delimiter: ',', quote: '"', encoding: 'utf8', nullValues: [''] });
    expect(ingest?.mode).toBe('table');
    if (ingest?.mode !== 'table') return;
    expect(ingest.columns['id_feat']).toEqual({ from: 'ID_FEAT', type: 'int', nullable: false });
  });

  it('compiles every duration to milliseconds, and tags the ingest stage with its mode', async () => {
    const config = await load(VALID, VALID_ENV);
    expect(config.daemon.shutdown).toEqual({ graceMs: 60_000 });
    expect(config.daemon.targets['archive']).toMatchObject({ type: 'sftp', timeoutMs: 30_000 });
    expect(config.daemon.targets['archive']).not.toHaveProperty('timeout');
    const { run, upload, ingest } = config.pipelines.get('sdoss')?.config ?? {};
    expect([run?.timeoutMs, run?.waitWarningMs, upload?.timeoutMs, ingest?.timeoutMs]).toEqual([
      21_600_000, 1_800_000, 21_600_000, 21_600_000,
    ]);
    expect(run).not.toHaveProperty('timeout');
    expect(ingest?.mode).toBe('table');
  });

  it('skips the secrets of targets that no stage of this host uses', async () => {
    // The catalogue target's {env: NOCTURNE_FIXTURE_UNSET} is unset, and only ingest (not run here) reads it.
    const config = await load(VALID, VALID_ENV);
    expect(config.daemon.host.stages).toEqual(['run', 'upload']);
    expect(config.pipelines.get('sdoss')?.file).toBe(`${VALID}/pipelines/sdoss.yaml`);
  });

  it('is deep-frozen, the map of pipelines included', async () => {
    const config = await load(VALID, VALID_ENV);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config.daemon.database as { url: string }).url = 'postgres://elsewhere';
    }).toThrow(TypeError);
    expect(() => (config.pipelines as Map<string, unknown>).set('eit', {})).toThrow('the configuration is frozen');
    expect(() => (config.pipelines as Map<string, unknown>).delete('sdoss')).toThrow(TypeError);
    expect(Object.isFrozen(config.pipelines.get('sdoss')?.config.run?.command)).toBe(true);
  });

  it('accepts a configuration without pipelines/', async () => {
    const config = await load(path.join(FIXTURES, 'no-pipelines'), {});
    expect(config.pipelines.size).toBe(0);
    expect(config.paths.state).toBe('/var/lib/nocturne');
  });

  it('names a missing directory absolutely when it is not below the current one', async () => {
    expect(await loadConfig('/nonexistent/nocturne', {})).toEqual({
      ok: false,
      issues: [{ file: '/nonexistent/nocturne/config/nocturne.yaml', line: 1, col: 1, message: 'cannot read: no such file' }],
    });
  });
});

describe("the repository's example configuration", () => {
  it('validates out of the box, with no secret', async () => {
    const config = await load(REPO, {});
    expect([...config.pipelines.keys()]).toEqual(['rabat3', 'sdoss', 'spoca-ar']);
    expect(config.daemon.targets['archive']).toEqual({ type: 'local', path: `${REPO}/var/archive` });
    expect(config.paths.outbox).toBe(`${REPO}/var/outbox`);
  });

  it('loads the example codes as HFC file sets into the catalogue', async () => {
    const config = await load(REPO, {});
    const sets = [...config.pipelines.values()].map(({ config: p }) => (p.ingest?.mode === 'sets' ? p.ingest.sets : undefined));
    expect(sets.map((s) => [s?.catalogue, s?.features.table])).toEqual([
      ['hfc', 'type_iii'],
      ['hfc', 'sunspots'],
      ['hfc', 'activeregions'],
    ]);
    expect(sets.map((s) => s?.files)).toEqual([
      '{code}_{version}_{obs}_{date}_{role}.csv',
      '{code}_{version}_{date}_{obs}_{role}.csv',
      '{code}_{version}_{date}_{obs}_{role}.csv',
    ]);
    for (const { config: pipeline } of config.pipelines.values()) {
      expect(pipeline.code.name).toBe(pipeline.name);
      expect(pipeline.run?.command[0]).toBe(`${REPO}/examples/detect/detect.mjs`);
      expect(pipeline.ingest?.mode).toBe('sets');
    }
    for (const s of sets) expect(s?.observations.references).toEqual({ OBSERVATORY_ID: 'observatory' });
  });
});

describe('formatDuration', () => {
  it('writes a duration in the largest unit that keeps it whole, as messages quote it', () => {
    expect([6 * 3_600_000, 90_000, 1_000, 1_500, 86_400_000, 0].map(formatDuration)).toEqual(['6h', '90s', '1s', '1500ms', '1d', '0ms']);
  });
});
