import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../../src/config/types.js';
import type { LoadResult } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import type { StateStore } from '../../../src/daemon/state-store.js';
import type { Db } from '../../../src/db/database.js';
import { FakeRuns } from '../scheduling/fake-runs.js';
import { FakeTime } from '../scheduling/fake-time.js';
import { captureLogger } from '../scheduling/harness.js';
import { testConfig } from '../scheduling/test-config.js';

const noHttp = { http: { enabled: false } };
const issue: ConfigIssue = { file: 'pipelines/eit.yaml', line: 3, col: 5, message: 'run.schedule: invalid cron "0 25 * * *"' };

/** A daemon on fake time and fake runs, with a state store that records what happens to it. */
function setup(options: { closeFails?: boolean; connectDelayMs?: number; pingFails?: boolean; daemon?: Record<string, unknown> } = {}) {
  const time = new FakeTime(new Date('2026-11-20T00:30:00Z'));
  const runs = new FakeRuns(time);
  const { logger, lines } = captureLogger();
  const events: string[] = [];
  const store: StateStore = {
    db: {} as Db,
    ledger: runs,
    ping: async () => {
      if (options.pingFails) throw new Error('connection refused');
    },
    close: async () => {
      events.push(`db closed${options.daemon ? ` (monitor ${await answers(daemon.httpAddress)})` : ''}`);
      if (options.closeFails) throw new Error('pool end failed');
    },
  };
  let next: LoadResult = { ok: true, config: testConfig({ eit: { run: { schedule: '0 * * * *' } } }, noHttp) };
  const daemon = new Daemon({
    config: testConfig({ eit: { run: { schedule: '0 * * * *' } } }, options.daemon ?? noHttp),
    logger,
    version: '0.0.0-test',
    load: async () => next,
    connect: async () => {
      if (options.connectDelayMs) await time.sleep(options.connectDelayMs);
      events.push('db opened');
      return store;
    },
    execute: (...args) => runs.execute(...args),
    clock: time.clock,
    sleep: time.sleep,
    forceMs: 1000,
  });
  const stop = async () => {
    const stopping = daemon.stop('test');
    await time.advance(120_000);
    return stopping;
  };
  return { daemon, time, runs, lines, events, stop, willLoad: (r: LoadResult) => (next = r) };
}

/** Whether the monitor at `address` still takes a request. */
async function answers(address: string | null): Promise<string> {
  return fetch(`http://${address}/healthz`).then(
    () => 'answering',
    () => 'closed',
  );
}

describe('Daemon lifecycle', () => {
  it('closes its monitor before the state database, so no request meets a closed pool', async () => {
    const state = await mkdtemp(path.join(os.tmpdir(), 'nocturne-daemon-unit-'));
    try {
      const { daemon, events, stop } = setup({ daemon: { http: { listen: '127.0.0.1:0' }, paths: { state } } });
      await daemon.start();
      expect(await answers(daemon.httpAddress)).toBe('answering');
      expect(await stop()).toBe(0);
      expect(events).toEqual(['db opened', 'db closed (monitor closed)']);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });

  it('starts, logs ready, and stops once however often it is asked', async () => {
    const { daemon, lines, events, stop } = setup();
    await daemon.start();
    expect(daemon.state).toBe('running');
    expect(lines.map((l) => l.msg)).toContain('ready');
    const [a, b] = await Promise.all([stop(), daemon.stop('again')]);
    expect([a, b, await daemon.stopped]).toEqual([0, 0, 0]);
    expect(daemon.state).toBe('stopped');
    expect(events).toEqual(['db opened', 'db closed']);
    expect(lines.filter((l) => l.msg === 'shutdown complete')).toHaveLength(1);
  });

  it('continues past a failing release step and reports it in the exit code', async () => {
    const { daemon, lines, stop } = setup({ closeFails: true });
    await daemon.start();
    expect(await stop()).toBe(1);
    expect(lines.find((l) => l.msg === 'release step failed')).toMatchObject({ step: 'state database' });
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete', failedSteps: 1 });
  });

  it('a stop during start waits for it, then releases what it acquired', async () => {
    const { daemon, time, events } = setup({ connectDelayMs: 5000 });
    const starting = daemon.start();
    const stopping = daemon.stop('early');
    await time.advance(10_000);
    await starting;
    expect(await stopping).toBe(0);
    expect(events).toEqual(['db opened', 'db closed']);
  });

  it('is ready only while running with its database reachable', async () => {
    const ok = setup();
    expect(await ok.daemon.readiness()).toEqual({ ready: false, reason: 'daemon is idle' });
    await ok.daemon.start();
    expect(await ok.daemon.readiness()).toEqual({ ready: true });
    const stopping = ok.stop();
    expect(await ok.daemon.readiness()).toEqual({ ready: false, reason: 'daemon is stopping' });
    await stopping;
    const down = setup({ pingFails: true });
    await down.daemon.start();
    expect(await down.daemon.readiness()).toEqual({ ready: false, reason: 'state database unreachable: connection refused' });
    await down.stop();
  });
});

describe('Daemon reload', () => {
  it('refuses an invalid configuration with its issues and keeps the previous one', async () => {
    const { daemon, willLoad, lines, stop } = setup();
    await daemon.start();
    const before = daemon.config;
    willLoad({ ok: false, issues: [issue] });
    const result = await daemon.reload();
    expect(result).toMatchObject({ ok: false, issues: [issue] });
    expect(daemon.config).toBe(before);
    expect(daemon.scheduler!.snapshot().map((t) => `${t.pipeline}/${t.stage}`)).toEqual(['eit/run']);
    expect(lines.find((l) => l.msg.startsWith('reload refused'))).toMatchObject({ issues: [issue] });
    await stop();
  });

  it('swaps a valid configuration in and says what only a restart applies', async () => {
    const { daemon, willLoad, stop } = setup();
    await daemon.start();
    const next = testConfig(
      { eit: { run: { schedule: '0 * * * *' } }, sdoss: { ingest: { schedule: '15 3 * * *' } } },
      { ...noHttp, database: { url: 'postgres://nocturne@elsewhere/nocturne' }, log: { level: 'debug' } },
    );
    willLoad({ ok: true, config: next });
    expect(await daemon.reload()).toEqual({
      ok: true,
      added: ['sdoss/ingest'],
      removed: [],
      changed: [],
      restartNeeded: ['database: changed, applies at the next restart'],
    });
    expect(daemon.config).toBe(next);
    await stop();
    expect(await daemon.reload()).toMatchObject({ ok: false, message: 'the daemon is stopped', unavailable: true });
  });
});
