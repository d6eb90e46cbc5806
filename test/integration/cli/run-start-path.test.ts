// What `nocturne run --stage S` loads (issue 16): each stage's libraries are loaded by the
// stage that needs them, so that a run of the ingest stage does not pay for the upload's.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { ingestPipeline, nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { moduleTracer } from '../../../harness/start-trace.js';

describe('nocturne run, as a real process (needs npm run build)', () => {
  let t: TestDb;
  let dir: string;

  beforeAll(async () => {
    t = await createTestDb('run_start_path');
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-run-start-path-'));
    await mkdir(path.join(dir, 'csv'));
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port: 1,
      pipelines: { eit: ingestPipeline('eit', '0 0 1 1 *', path.join(dir, 'csv')) },
    });
  });

  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--stage ingest loads the ingest stage and none of the upload and run stages (sharp, ssh2, FTP)', async () => {
    const tracer = await moduleTracer(dir);
    const run = await nocturne(['run', 'eit', '--stage', 'ingest', '--config', dir], tracer.nodeArgs);
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('eit/ingest: ok') as unknown });
    const loaded = await tracer.loaded();
    expect(loaded.evaluated).toContain('src/stages/ingest/index.ts');
    expect(loaded.evaluated.filter((m) => /^src\/stages\/(upload|run)\//.test(m))).toEqual([]);
    expect(loaded.packages.filter((p) => ['sharp', 'ssh2', 'ssh2-sftp-client', 'basic-ftp'].includes(p))).toEqual([]);
  });
});
