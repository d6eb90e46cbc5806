import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCheckout, type PrivateCheckout } from './private-checkout.js';

let checkout: PrivateCheckout;
beforeAll(async () => {
  expect(process.getuid?.(), 'the demo tests run as root, as npm test does').toBe(0);
  checkout = await privateCheckout(path.resolve(import.meta.dirname, '../../..'));
});
afterAll(() => checkout?.remove());

async function demo(tmp: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/nocturne.js', 'demo'], {
    cwd: checkout.dir,
    stdio: 'pipe',
    env: { ...process.env, TMPDIR: tmp },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** One line on stderr, no stack; exit 69 (EX_UNAVAILABLE). */
function expectOneSentence(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.stderr, result.stderr).toMatch(pattern);
  expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.code).toBe(69);
}

/** The pids of the demo's PostgreSQL processes (their data directory is below `tmp`). */
function demoPostgres(tmp: string): number[] {
  const found = spawnSync('pgrep', ['-f', `${tmp}/.*postgres`], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean).map(Number);
}

describe('npm run demo, interrupted while it starts', () => {
  // Its PostgreSQL runs in a process group of its own, which Ctrl-C never reaches: the demo
  // must stop it, even when Ctrl-C comes before the night begins, and when it comes twice.
  it.each([1, 2])('stops its PostgreSQL and leaves nothing behind after %i Ctrl-C', async (times) => {
    const child = spawn(process.execPath, ['bin/nocturne.js', 'demo'], {
      cwd: checkout.dir,
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: checkout.tmp },
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const deadline = Date.now() + 60_000;
    while (demoPostgres(checkout.tmp).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(demoPostgres(checkout.tmp).length).toBeGreaterThan(0);
    for (let i = 0; i < times; i += 1) child.kill('SIGINT');
    expect(await closed).not.toBe(0);
    expect(demoPostgres(checkout.tmp)).toEqual([]);
    expect(await readdir(checkout.tmp)).toEqual([]);
  });
});

describe('npm run demo, where its PostgreSQL cannot start', () => {
  it('says in one sentence that its port is taken and what to do, and leaves nothing behind', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(54329, '127.0.0.1', resolve));
    try {
      const result = await demo(checkout.tmp);
      expectOneSentence(
        result,
        /^nocturne demo: the demo's PostgreSQL cannot listen on 127\.0\.0\.1:54329, which another program already uses .*: stop that program and run the demo again$/m,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expect(await readdir(checkout.tmp)).toEqual([]);
  });

  it('says in one sentence that the postgres user cannot reach a private TMPDIR, and what to do', async () => {
    // As root, the server runs as postgres, who cannot enter a mode-700 directory of root's.
    const privateTmp = path.join(checkout.home, 'tmp');
    await mkdir(privateTmp, { mode: 0o700 });
    const result = await demo(privateTmp);
    expectOneSentence(
      result,
      /^nocturne demo: as root, the demo runs PostgreSQL as the user postgres, who cannot run .*initdb \(EACCES\): set TMPDIR to a directory every user can enter/m,
    );
    expect(await readdir(privateTmp)).toEqual([]);
  });
});
