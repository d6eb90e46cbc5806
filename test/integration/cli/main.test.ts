import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');
const bin = path.join(repo, 'bin/nocturne.js');

async function nocturne(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the nocturne command (built: npm run build)', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(await nocturne(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('lists its commands in --help', async () => {
    const { code, stdout } = await nocturne(['--help']);
    expect(code).toBe(0);
    for (const command of ['validate', 'db', 'run', 'history']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('exits 64 on a usage error, naming it', async () => {
    const { code, stderr } = await nocturne(['run', 'sdoss', '--stage', 'launch']);
    expect(code).toBe(64);
    expect(stderr).toContain("'launch' is invalid");
  });

  it('reload: says that a daemon listening on port 0 cannot be found from the configuration, and what to do', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-reload-'));
    try {
      await mkdir(path.join(dir, 'config'));
      await writeFile(path.join(dir, 'config/nocturne.yaml'), 'http:\n  listen: "127.0.0.1:0"\n');
      const { code, stderr } = await nocturne(['reload', '--config', dir]);
      expect(code).toBe(69);
      expect(stderr).toContain('http.listen 127.0.0.1:0 has port 0, so the daemon listens on a port chosen at its start');
      expect(stderr).toContain('--listen');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reload: never waits on a FIFO put in the configuration file's place", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-reload-'));
    try {
      await mkdir(path.join(dir, 'config'));
      execFileSync('mkfifo', [path.join(dir, 'config/nocturne.yaml')]);
      const { code, stderr } = await nocturne(['reload', '--config', dir, '--listen', '127.0.0.1:1']);
      expect(code).toBe(69);
      expect(stderr).toContain('no nocturne daemon answers');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
