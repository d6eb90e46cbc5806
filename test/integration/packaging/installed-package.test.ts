// nocturne as a user installs it: the package npm would publish, installed without its
// devDependencies, its command run from elsewhere. What the repository's own runs cannot
// show: a package loaded at run time but declared only for development, a file the
// bundle needs left out of package.json's "files".
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { ingestPipeline, REPO, writeDaemonConfig } from '../../../harness/daemon-process.js';

const run = promisify(execFile);

describe('the installed package (needs npm run build)', () => {
  let dir: string;
  let bin: string;
  let installed: string;
  let t: TestDb;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-installed-'));
    // dist/ is already built: prepare (the build) is not run again.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: REPO });
    const app = path.join(dir, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "private": true}\n');
    // From npm's cache, which `npm ci` filled: no network needed. Without the packages'
    // install scripts (10 s of the 17): what is checked is which packages and files ship.
    const tarball = path.join(dir, stdout.trim());
    await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
      cwd: app,
      timeout: 120_000,
    });
    installed = path.join(app, 'node_modules', 'nocturne');
    bin = path.join(app, 'node_modules', '.bin', 'nocturne');
    t = await createTestDb('installed_package');
  }, 180_000);

  afterAll(async () => {
    await t?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs without devDependencies and checks its shipped configuration', async () => {
    const { version } = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect((await run(bin, ['--version'], { cwd: dir })).stdout.trim()).toBe(version);
    const checked = await run(bin, ['validate', '--config', installed], { cwd: dir });
    expect(checked.stdout).toMatch(/^ok: .*3 pipelines/);
  });

  it('logs readable lines to a terminal (pino-pretty, a runtime dependency)', async () => {
    const config = path.join(dir, 'config-dir');
    await mkdir(path.join(config, 'csv'), { recursive: true });
    await writeDaemonConfig(config, {
      pgUrl: t.url,
      schema: t.schema,
      port: 1,
      pipelines: { eit: ingestPipeline('eit', '0 0 1 1 *', path.join(config, 'csv')) },
    });
    // script(1) gives the command a terminal for its output, as a person at a shell has.
    const command = `${bin} run eit --stage ingest --config ${config}`;
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { cwd: dir });
    expect(stdout).toMatch(/INFO.*stage started/);
    expect(stdout).toContain('eit/ingest: ok');
    expect(stdout).not.toContain('{"level"');
  });
});
