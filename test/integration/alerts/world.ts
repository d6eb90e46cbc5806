/**
 * In-process alerting against the rig's PostgreSQL (a schema of its own) and postfix:
 * configurations as the loader would produce them, and Alerting instances whose ticks
 * the tests call (no timers), so what happens between two evaluations is the test's.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Alerting, type AlertingDeps } from '../../../src/alerts/alerting.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { daemonConfigSchema, pipelineSchema } from '../../../src/config/schema.js';
import type { NocturneConfig } from '../../../src/config/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { mailRig } from '../../helpers/mail-rig.js';

/** Every kind off: a test turns on the one it is about. */
export const ALL_OFF = {
  stageFailed: { enabled: false },
  slotMissed: { enabled: false },
  workFailed: { enabled: false },
  workStuck: { enabled: false },
  diskLow: { enabled: false },
  unreachable: { enabled: false },
  hostStopped: { enabled: false },
};

/** alerts.email for the rig's postfix (STARTTLS, its certificate pinned). */
export function rigEmail(): Record<string, unknown> {
  const rig = mailRig();
  return { host: rig.host, port: rig.port, ca: rig.ca, from: `nocturne@${rig.domain}`, timeout: '10s' };
}

export interface AlertWorld {
  t: TestDb;
  dir: string;
  config(spec: {
    pipelines?: Record<string, Record<string, unknown>>;
    alerts: Record<string, unknown>;
    daemon?: Record<string, unknown>;
  }): NocturneConfig;
  alerting(config: NocturneConfig, deps?: Partial<AlertingDeps>): Alerting;
  close(): Promise<void>;
}

export async function alertWorld(label: string): Promise<AlertWorld> {
  const t = await createTestDb(label);
  const dir = await mkdtemp(path.join(os.tmpdir(), `nocturne-${label}-`));
  await mkdir(path.join(dir, 'state'));
  const started: Alerting[] = [];
  const logger = createLogger({ level: process.env['NOCTURNE_TEST_LOG'] ?? 'silent', fd: 2 });
  return {
    t,
    dir,
    config({ pipelines = {}, alerts, daemon = {} }) {
      const settings = daemonConfigSchema.parse({
        host: { name: 'tycho' },
        database: { url: t.url, schema: t.schema },
        paths: { state: path.join(dir, 'state') },
        targets: { archive: { type: 'local', path: path.join(dir, 'archive') } },
        ...daemon,
        alerts,
      });
      const loaded = Object.entries(pipelines).map(([name, raw]) => ({
        config: pipelineSchema.parse({ name, code: { name, version: '1.0' }, ...raw }),
        file: path.join(dir, 'pipelines', `${name}.yaml`),
      }));
      return resolveConfig(dir, settings, loaded);
    },
    alerting(config, deps = {}) {
      const alerting = new Alerting({ db: t.db, config, logger, version: '0.1.0-test', ...deps });
      started.push(alerting);
      return alerting;
    },
    async close() {
      await Promise.all(started.map((a) => a.stop()));
      await t.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A stage that runs a local script: what stage_failed and slot_missed need of a pipeline. */
export function runStage(schedule = '0 2 * * *'): Record<string, unknown> {
  return { run: { schedule, command: ['/bin/true', '{input}'], inputs: { glob: '/nonexistent/{yyyy}/*.obs' } } };
}

/** A recorded run, as executeStage leaves it. */
export function insertRun(
  t: TestDb,
  run: { pipeline: string; stage: string; slot: Date | string; state: string; error?: string; attempt?: number; endedSecondsAgo?: number },
): Promise<{ id: string }> {
  return t.db.one(
    `INSERT INTO runs (pipeline, stage, slot, trigger, state, attempt, host, pid, lease_until, started_at, finished_at, error_code, error)
     VALUES ($1, $2, $3, 'schedule', $4, $5, 'tycho', 1, now(), now() - ($6 + 1) * interval '1 second', now() - $6 * interval '1 second',
             $7, $8) RETURNING id`,
    [
      run.pipeline,
      run.stage,
      run.slot,
      run.state,
      run.attempt ?? 1,
      run.endedSecondsAgo ?? 0,
      run.state === 'failed' ? 'JOB_FAILED' : null,
      run.error ?? null,
    ],
  );
}
