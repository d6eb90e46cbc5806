/**
 * A configuration directory on disk with pipelines whose run stage uses the example
 * detection code on the rig's SLURM, observations written per night, and the built
 * `nocturne` command run against it: what the campaign tests and bench share.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { addNights } from '../src/campaigns/store.js';
import { createTestDb, type TestDb } from './db.js';
import { REPO, writeDaemonConfig } from './daemon-process.js';
import { rig, slurmEnv } from './rig.js';

const BIN = path.join(REPO, 'bin/nocturne.js');
export const DETECT = path.join(REPO, 'examples', 'detect', 'detect.mjs');

export interface CampaignWorld {
  dir: string;
  t: TestDb;
  outbox(pipeline: string): string;
  /** Writes `perNight` observations for each night from..to; returns how many. */
  writeNights(pipeline: string, from: string, to: string, perNight: number, fields?: Record<string, string | number>): Promise<number>;
  /** `nocturne <args> --config <dir>`, to its end; never throws on a non-zero exit. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The same as a child process, e.g. to kill it with -9. */
  spawn(args: string[]): ChildProcess;
  /** Names of the jobs recorded under a ledger (a pipeline, or a campaign's). */
  jobNames(ledger: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Pipeline names; each gets a run stage (at 02:00) with the example code. */
  pipelines: string[];
  /** Extra top-level sections of config/nocturne.yaml (merged over executor and campaigns). */
  extra?: Record<string, unknown>;
  /** Extra keys of each pipeline's run section. */
  run?: Record<string, unknown>;
  schedule?: string;
}

export async function createCampaignWorld(label: string, options: WorldOptions): Promise<CampaignWorld> {
  const dir = await mkdtemp(path.join(tmpdir(), `noc-campaign-${label}-`));
  const t = await createTestDb(label);
  const pipelines = Object.fromEntries(
    options.pipelines.map((name) => [
      name,
      stringify({
        name,
        code: { name, version: '1.0.6' },
        run: {
          schedule: options.schedule ?? '0 2 * * *',
          command: [DETECT, '--code', name, '--version', '1.0.6', '--input', '{input}', '--outdir', '{outdir}'],
          inputs: { glob: path.join(dir, 'obs', name, '{yyyy}/{mm}/{dd}/*.obs') },
          slurm: { partition: rig().slurm.partition, time: '00:05:00', mem: '200M' },
          array: { throttle: 8 },
          retries: 1,
          ...options.run,
        },
      }),
    ]),
  );
  await writeDaemonConfig(dir, {
    pgUrl: t.url,
    schema: t.schema,
    port: 0,
    pipelines,
    extra: {
      http: { enabled: false },
      executor: { type: 'slurm', slurm: { pollInterval: '1s', lostAfter: '30s' } },
      ...options.extra,
      // Not yielding to the nightly slot (02:00): a run in the 10 minutes before it would
      // wait for it, the tests with it (they failed in CI at 01:55). The yield is tested
      // with a clock of its own (yield-gate.test.ts).
      campaigns: { maxRunning: 4, nice: 1000, batchNights: 2, yieldToNightly: false, ...(options.extra?.['campaigns'] as object) },
    },
  });
  const env = slurmEnv({ NOCTURNE_CONFIG_DIR: dir });
  return {
    dir,
    t,
    outbox: (name) => path.join(dir, 'state', 'outbox', name),
    async writeNights(pipeline, from, to, perNight, fields = {}) {
      let n = 0;
      for (let night = from; night <= to; night = addNights(night, 1)) {
        const [yyyy = '', mm = '', dd = ''] = night.split('-');
        const obsDir = path.join(dir, 'obs', pipeline, yyyy, mm, dd);
        await mkdir(obsDir, { recursive: true });
        for (let i = 0; i < perNight; i++, n++) {
          const body = { instrument: 'HMI', date_obs: `${night}T00:00:${String(10 + i).padStart(2, '0')}`, seed: n, ...fields };
          const name = `${yyyy}${mm}${dd}_0000${String(10 + i).padStart(2, '0')}.obs`;
          await writeFile(
            path.join(obsDir, name),
            Object.entries(body)
              .map(([k, v]) => `${k}=${v}\n`)
              .join(''),
          );
        }
      }
      return n;
    },
    cli(args) {
      return new Promise((resolve) => {
        execFile(process.execPath, [BIN, ...args], { cwd: REPO, env, timeout: 120_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      });
    },
    spawn(args) {
      return spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    async jobNames(ledger) {
      return (await t.db.any<{ name: string }>('SELECT name FROM jobs WHERE pipeline = $1 ORDER BY id', [ledger])).map((r) => r.name);
    },
    async close() {
      await t.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
