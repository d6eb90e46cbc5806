// What `nocturne daemon` loads before "ready" (issue 16): every module loaded costs start-up
// time and idle memory, so what only a slot, a request or an alert needs waits for it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { freePort, quietSchedule, type DaemonProcess, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { lazyModules, startTraced, type LoadedModules } from '../../../harness/start-trace.js';

describe('the daemon start path (needs npm run build)', () => {
  let t: TestDb;
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let loaded: LoadedModules;

  beforeAll(async () => {
    t = await createTestDb('start_path');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-start-path-'));
    const csv = path.join(dir, 'csv');
    // No slot during the test: a stage run would load what these tests say is not loaded.
    const schedule = quietSchedule();
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port: await freePort(),
      pipelines: {
        eit: [
          'name: eit',
          'code: {name: eit, version: "1.0"}',
          `upload: {schedule: "${schedule}", target: archive, remoteDir: /hfc/eit}`,
          'ingest:',
          `  schedule: "${schedule}"`,
          `  source: {dir: "${csv}"}`,
          '  table: public.eit_features',
          '  columns: {feature_id: {from: id, type: bigint}}',
          '  naturalKey: [feature_id]',
          '',
        ].join('\n'),
      },
    });
    const traced = await startTraced(dir, dir);
    daemon = traced.daemon;
    loaded = await traced.loaded();
  });

  afterAll(async () => {
    if (daemon) {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has not loaded the stages or their libraries (sharp, ssh2, FTP, CSV, COPY)', () => {
    const heavy = ['sharp', 'ssh2', 'ssh2-sftp-client', 'basic-ftp', 'csv-parse', 'csv-stringify', 'pg-copy-streams'];
    expect(loaded.packages.filter((p) => heavy.includes(p))).toEqual([]);
    // What the tracer sees of the bundle: the daemon's command, itself imported lazily.
    expect(loaded.evaluated).toContain('src/cli/commands/daemon.ts');
    expect(loaded.evaluated.filter((m) => /^src\/stages\/(upload\/|ingest\/|execute|run\/index)/.test(m))).toEqual([]);
  });

  it('can see each module these tests look for being evaluated (the bundle evaluates it when first imported)', async () => {
    const checked = [
      'stages/run/index',
      'stages/upload/index',
      'stages/ingest/index',
      'stages/execute',
      'monitor/views',
      'http/openapi',
      'alerts/alerting',
    ];
    expect(await lazyModules()).toEqual(expect.arrayContaining(checked.map((m) => `src/${m}.ts`)));
  });

  it("has not loaded Node's fetch (undici), which only a webhook or `nocturne reload` uses", () => {
    expect(loaded.packages).toContain('pg');
    expect(loaded.builtins.filter((m) => m.includes('undici'))).toEqual([]);
  });

  it("has not loaded the monitor's views, the OpenAPI description, nor alerting when config/nocturne.yaml has no alerts section", () => {
    expect(loaded.evaluated.filter((m) => /^src\/(monitor\/(views|pages\/|data\/)|http\/openapi)/.test(m))).toEqual([]);
    expect(loaded.evaluated.filter((m) => /^src\/alerts\/(alerting|sender|spool|channels\/)/.test(m))).toEqual([]);
  });
});
