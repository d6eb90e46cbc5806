/**
 * The monitor's guarantees on the real daemon process (`node bin/nocturne.js daemon`):
 * exposure refused without authentication, POST refused without the token, the token
 * file private, and `nocturne status --json` printing what /api/overview answers.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../../harness/db.js';
import { DaemonProcess, freePort, ingestPipeline, nocturne, writeDaemonConfig } from '../../../harness/daemon-process.js';
import { openApiProblems } from './openapi-check.js';

let t: TestDb;
let dir: string;
let port: number;

beforeAll(async () => {
  t = await createTestDb('monitor_http');
  dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-monitor-http-'));
  await mkdir(path.join(dir, 'csv'));
  port = await freePort();
});
afterAll(async () => {
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

const pipelines = () => ({ eit: ingestPipeline('eit', '0 0 1 1 *', path.join(dir, 'csv')) });

describe("the daemon's HTTP interface, as a real process", () => {
  it('refuses to start on a non-loopback address without http.auth, naming the line', async () => {
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port,
      pipelines: pipelines(),
      extra: { http: { listen: `0.0.0.0:${port}` } },
    });
    const daemon = new DaemonProcess(dir);
    const exited = await daemon.exited;
    expect(exited.code).toBe(78);
    expect(daemon.stderr.join('') + daemon.lines.map((l) => l.msg).join('\n')).toMatch(
      /config\/nocturne\.yaml:\d+:\d+: http\.listen: 0\.0\.0\.0:\d+ is not a loopback address: configure http\.auth/,
    );
  });

  it('takes a reload only with the token it wrote for its own user; status --json is /api/overview', async () => {
    await writeDaemonConfig(dir, { pgUrl: t.url, schema: t.schema, port, pipelines: pipelines() });
    const daemon = new DaemonProcess(dir);
    try {
      await daemon.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
      const base = `http://127.0.0.1:${port}`;
      const token = path.join(dir, 'state', 'http.token');
      expect((await stat(token)).mode & 0o777).toBe(0o600);

      // HEAD is GET's headers, the event stream's included: no body, nothing kept open.
      for (const url of ['/healthz', '/metrics', '/api/overview', '/api/events']) {
        const head = await fetch(`${base}${url}`, { method: 'HEAD' });
        expect([url, head.status, await head.text()]).toEqual([url, 200, '']);
      }
      const anonymous = await fetch(`${base}/api/reload`, { method: 'POST' });
      expect([anonymous.status, anonymous.headers.get('allow')]).toEqual([401, null]);
      const wrongMethod = await fetch(`${base}/healthz`, { method: 'DELETE' });
      expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
      const forged = await fetch(`${base}/api/reload`, { method: 'POST', headers: { authorization: 'Bearer 00' } });
      expect(forged.status).toBe(401);
      const secret = (await readFile(token, 'utf8')).trim();
      const crossSite = await fetch(`${base}/api/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, origin: 'http://evil.example' },
      });
      expect(crossSite.status).toBe(403);
      const reload = await nocturne(['reload', '--config', dir]);
      expect(reload.code, reload.stderr).toBe(0);

      const status = await nocturne(['status', '--json', '--config', dir]);
      expect(status.code, status.stderr).toBe(0);
      const fromCli = JSON.parse(status.stdout) as Record<string, unknown>;
      expect(openApiProblems('get', '/api/overview', 200, fromCli)).toEqual([]);
      const fromApi = (await (await fetch(`${base}/api/overview`)).json()) as Record<string, unknown>;
      const shape = (o: Record<string, unknown>) => ({
        ...o,
        generatedAt: '',
        attentionSince: '',
        stages: (o['stages'] as object[]).map((s) => Object.keys(s).sort()),
      });
      expect(shape(fromCli)).toEqual(shape(fromApi));
    } finally {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });

  it('streams the runs its scheduler starts, from their start to their end', async () => {
    await writeDaemonConfig(dir, {
      pgUrl: t.url,
      schema: t.schema,
      port,
      pipelines: { eit: ingestPipeline('eit', '*/2 * * * * *', path.join(dir, 'csv')) },
    });
    const daemon = new DaemonProcess(dir);
    const controller = new AbortController();
    try {
      await daemon.waitFor((l) => l.msg === 'ready', 20_000, '"ready"');
      const response = await fetch(`http://127.0.0.1:${port}/api/events`, { signal: controller.signal });
      const events: { type: string; runId?: number; trigger?: string; state?: string }[] = [];
      void (async () => {
        let text = '';
        for await (const chunk of response.body!) {
          text += new TextDecoder().decode(chunk as Uint8Array);
          const parts = text.split('\n\n');
          text = parts.pop()!;
          for (const part of parts) if (part.startsWith('data: ')) events.push(JSON.parse(part.slice(6)) as (typeof events)[number]);
        }
      })().catch(() => undefined);
      await expect.poll(() => events.find((e) => e.type === 'run-started'), { timeout: 15_000 }).toMatchObject({ trigger: 'schedule' });
      const started = events.find((e) => e.type === 'run-started')!;
      await expect
        .poll(() => events.find((e) => e.type === 'run-finished' && e.runId === started.runId), { timeout: 15_000 })
        .toMatchObject({ state: 'succeeded' });
    } finally {
      controller.abort();
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
