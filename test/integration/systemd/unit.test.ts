import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdownBoundMs } from '../../../src/daemon/daemon.js';
import { testConfig } from '../../unit/scheduling/test-config.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../../..');
const unitFile = path.join(repo, 'systemd/nocturne.service');

describe('systemd/nocturne.service', () => {
  let dir: string;
  let installed: string;

  beforeAll(async () => {
    // verify checks that ExecStart= binaries exist: point them at this checkout's bin.
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-unit-'));
    installed = path.join(dir, 'nocturne.service');
    const text = await readFile(unitFile, 'utf8');
    await writeFile(installed, text.replaceAll('/usr/bin/nocturne', path.join(repo, 'bin/nocturne.js')));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', installed]);
    expect(stderr).toBe('');
  });

  it('has an exposure level of at most 2.5 in systemd-analyze security', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', unitFile]);
    const match = /Overall exposure level for nocturne\.service: (\d+\.\d+)/.exec(stdout);
    expect(match, stdout).not.toBeNull();
    expect(Number(match![1])).toBeLessThanOrEqual(2.5);
  });

  it('keeps what Node needs and what the daemon promises', async () => {
    const text = await readFile(unitFile, 'utf8');
    expect(text).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
    expect(text).not.toMatch(/^DynamicUser=yes/m);
    for (const line of [
      'ExecStartPre=/usr/bin/nocturne validate',
      'RestartPreventExitStatus=64 78',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'TimeoutStopSec=90s',
      'ExecReload=/usr/bin/nocturne reload',
      'KillMode=mixed',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it("gives the daemon's own shutdown bound time to run out before SIGKILL", async () => {
    const text = await readFile(unitFile, 'utf8');
    const stopSeconds = Number(/^TimeoutStopSec=(\d+)s$/m.exec(text)?.[1]);
    // With the default shutdown.grace.
    expect(stopSeconds * 1000).toBeGreaterThan(shutdownBoundMs(testConfig({})));
  });
});
