// The demo night (the bundled observations of 2026-11-21 and the night before) through
// the real stages: the repository's three pipelines, read by the real configuration
// loader from a config directory written here, run → upload → ingest with the local
// executor, a local archive target and the rig's PostgreSQL (a state schema and a
// catalogue of this test file's own). Like a real night, it has problems: a code that
// exits 3, a quicklook truncated on its way and a feat file spoiled before its upload.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load.js';
import type { StageName } from '../../../src/config/schema.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import type { Db } from '../../../src/db/database.js';
import { installCatalogue } from '../../../src/stages/ingest/sets/catalogue.js';
import { executeStage } from '../../../src/stages/execute.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { quietLogger } from '../../../harness/stage-context.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const NIGHT = '2026-11-21';
export const PUBLIC_URL = 'https://hfc.example.org/archive';
const PIPELINES = ['sdoss', 'spoca-ar', 'rabat3'] as const;

/** The problems the night is given, by name. */
/** An SDOSS observation taken at 23:30 UTC on the 20th: already the 21st in Paris, the pipelines' time zone. */
export const LATE_OBSERVATION = { obs: 'hmi_233045', setKey: 'sdoss_106_20261120T233045_hmi-233045' } as const;

export const SPOILED = {
  /** An SDOSS observation whose code exits 3 (permanent failure). */
  failedObservation: 'hmi_120045',
  /** The SDOSS quicklook of this observation (as its file names write it) is cut short in the outbox before its upload. */
  truncatedQuicklook: '20261121T040045_hmi-040045',
  /** The SPoCA feat file of this observation gets a bad number in line 3, FEAT_X_PIX, before its upload. */
  spoiledFeat: '20261121T040045_aia-040045',
} as const;

export interface DemoNight {
  readonly test: TestDb;
  readonly db: Db;
  /** The state schema. */
  readonly state: string;
  /** The catalogue schema (what the recipes call hfc). */
  readonly hfc: string;
  /** The directory holding config/ and pipelines/. */
  readonly configDir: string;
  readonly config: NocturneConfig;
  /** The archive target's directory. */
  readonly archive: string;
  close(): Promise<void>;
}

/** Loads the demo night; `publicUrl` is declared on the archive target unless null. */
export async function loadDemoNight(label: string, options: { publicUrl?: string | null } = {}): Promise<DemoNight> {
  const test = await createTestDb(`analysts_${label}`);
  const hfc = `${test.schema}_hfc`;
  const dir = await mkdtemp(path.join(os.tmpdir(), `nocturne-analysts-${label}-`));
  const close = async () => {
    await test.db.none('DROP SCHEMA IF EXISTS $1:name CASCADE', [hfc]);
    await test.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const observations = path.join(dir, 'observations');
    await cp(path.join(REPO, 'examples/observations'), observations, { recursive: true });
    await writeFile(
      path.join(observations, 'sdoss/2026/11/21', `${SPOILED.failedObservation}.obs`),
      'instrument=HMI\ndate_obs=2026-11-21T12:00:45\nseed=1104\nexit=3\n',
    );
    await writeFile(
      path.join(observations, 'sdoss/2026/11/20', `${LATE_OBSERVATION.obs}.obs`),
      'instrument=HMI\ndate_obs=2026-11-20T23:30:45\nseed=1005\nfeatures=2\n',
    );
    const archive = path.join(dir, 'archive');
    const configDir = path.join(dir, 'etc');
    await writeDemoConfig(configDir, {
      state: path.join(dir, 'var'),
      archive,
      observations,
      hfc,
      test,
      publicUrl: options.publicUrl === undefined ? PUBLIC_URL : options.publicUrl,
    });
    const loaded = await loadConfig(configDir);
    if (!loaded.ok) throw new Error(`demo night configuration: ${JSON.stringify(loaded.issues)}`);
    const config = loaded.config;
    await installCatalogue(test.db, { schema: hfc, stateSchema: test.schema });

    await runStage(config, test.db, 'run');
    await spoil(config);
    await runStage(config, test.db, 'upload');
    await runStage(config, test.db, 'ingest');
    return { test, db: test.db, state: test.schema, hfc, configDir, config, archive, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface ConfigPlaces {
  state: string;
  archive: string;
  observations: string;
  hfc: string;
  test: Pick<TestDb, 'url' | 'schema'>;
  publicUrl: string | null;
}

/** config/nocturne.yaml and the repository's pipelines, pointed at this world's places. */
export async function writeDemoConfig(configDir: string, at: ConfigPlaces): Promise<void> {
  await mkdir(path.join(configDir, 'config'), { recursive: true });
  await mkdir(path.join(configDir, 'pipelines'));
  await mkdir(at.archive, { recursive: true });
  const archive = { type: 'local', path: at.archive, ...(at.publicUrl === null ? {} : { publicUrl: at.publicUrl }) };
  await writeFile(
    path.join(configDir, 'config/nocturne.yaml'),
    stringify({
      host: { name: 'analysts-test' },
      database: { url: at.test.url, schema: at.test.schema },
      executor: { type: 'local', local: { concurrency: 2 } },
      paths: { state: at.state },
      targets: { archive },
      http: { enabled: false },
    }),
  );
  for (const name of PIPELINES) {
    const pipeline = parse(await readFile(path.join(REPO, 'pipelines', `${name}.yaml`), 'utf8')) as {
      run: { command: string[]; inputs: { glob: string } };
      ingest: { sets: { catalogue: string } };
    };
    pipeline.run.command[0] = path.join(REPO, pipeline.run.command[0]!);
    pipeline.run.inputs.glob = path.join(at.observations, path.relative('examples/observations', pipeline.run.inputs.glob));
    pipeline.ingest.sets.catalogue = at.hfc;
    await writeFile(path.join(configDir, 'pipelines', `${name}.yaml`), stringify(pipeline));
  }
}

async function runStage(config: NocturneConfig, db: Db, stage: StageName): Promise<void> {
  for (const pipeline of PIPELINES) {
    const done = await executeStage(
      { config, db, logger: quietLogger },
      { pipeline, stage, slot: new Date(), trigger: 'manual', date: NIGHT },
    );
    if (done.kind !== 'done') throw new Error(`${pipeline}/${stage} did not run: ${done.reason}`);
  }
}

/** What goes wrong on the way to the archive: a quicklook cut short, a feat file with a bad number. */
async function spoil(config: NocturneConfig): Promise<void> {
  const outbox = (pipeline: string) => path.join(config.paths.outbox, pipeline);
  const quicklook = await only(outbox('sdoss'), (f) => f.includes(`_${SPOILED.truncatedQuicklook}`) && f.endsWith('.jpg'));
  await truncate(quicklook, 200);
  const feat = await only(outbox('spoca-ar'), (f) => f.includes(`_${SPOILED.spoiledFeat}_feat.csv`));
  const lines = (await readFile(feat, 'utf8')).split('\n');
  const fields = lines[2]!.split(';');
  fields[lines[0]!.split(';').indexOf('FEAT_X_PIX')] = '12.3.4';
  lines[2] = fields.join(';');
  await writeFile(feat, lines.join('\n'));
}

async function only(dir: string, match: (name: string) => boolean): Promise<string> {
  const found = (await readdir(dir)).filter(match);
  if (found.length !== 1) throw new Error(`expected one file in ${dir}, found ${JSON.stringify(found)}`);
  return path.join(dir, found[0]!);
}
