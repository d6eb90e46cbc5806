import { describe, expect, it } from 'vitest';
import { NocturneError } from '../../../src/core/errors.js';
import type { RemoteSession } from '../../../src/adapters/transfer/remote-store.js';
import { runPool, type PoolOptions } from '../../../src/stages/upload/upload-pool.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const transient = (what: string) => new NocturneError('TRANSFER_FAILED', what, { retryable: true });

function pool(server: MemoryStore, overrides: Partial<PoolOptions> = {}) {
  const slept: number[] = [];
  const options: PoolOptions = {
    store: server,
    connections: 2,
    lanes: 1,
    signal: new AbortController().signal,
    retry: { attempts: 3, baseMs: 100, maxMs: 1_000 },
    sleep: async (ms) => void slept.push(ms),
    ...overrides,
  };
  return { options, slept };
}

async function drain(items: string[], options: PoolOptions, work: (item: string, s: RemoteSession) => Promise<void>) {
  const failures: Array<[string, string]> = [];
  const report = await runPool(items, options, work, async (item, err) => void failures.push([item, err.code]));
  return { report, failures };
}

describe('runPool', () => {
  it('retries a transient failure on a fresh session, with backoff', async () => {
    const server = new MemoryStore();
    const { options, slept } = pool(server, { connections: 1 });
    let calls = 0;
    const sessions = new Set<RemoteSession>();
    const { report, failures } = await drain(['a'], options, async (_item, s) => {
      sessions.add(s);
      if (++calls < 3) throw transient('connection reset');
    });
    expect(report).toEqual({ fatal: null, failed: 0, notDone: 0 });
    expect(failures).toEqual([]);
    expect(sessions.size).toBe(3);
    expect(server.closed).toBe(3);
    expect(slept).toHaveLength(2);
  });

  it('records a file that keeps failing, and goes on with the others', async () => {
    const server = new MemoryStore();
    const { options } = pool(server);
    const done: string[] = [];
    const { report, failures } = await drain(['a', 'b', 'c'], options, async (item) => {
      if (item === 'b') throw new NocturneError('TRANSFER_VERIFY_MISMATCH', 'b differs');
      done.push(item);
    });
    expect(report).toEqual({ fatal: null, failed: 1, notDone: 0 });
    expect(failures).toEqual([['b', 'TRANSFER_VERIFY_MISMATCH']]);
    expect(done.sort()).toEqual(['a', 'c']);
  });

  it('gives the target up when no session can be opened: the rest is left for the next run', async () => {
    const server = new MemoryStore();
    for (let i = 0; i < 10; i += 1) server.openFaults.push(transient('ECONNREFUSED'));
    const { options } = pool(server);
    const { report, failures } = await drain(['a', 'b', 'c', 'd', 'e'], options, async () => {});
    expect(report.fatal?.message).toBe('ECONNREFUSED');
    expect(failures.length).toBeLessThanOrEqual(2);
    expect(report.failed + report.notDone).toBe(5);
  });

  it('stops every connection at once when the target refuses us', async () => {
    const server = new MemoryStore();
    server.openFaults.push(new NocturneError('TRANSFER_AUTH_FAILED', 'target "t": login refused'));
    const { options, slept } = pool(server, { connections: 1 });
    const { report, failures } = await drain(['a', 'b', 'c'], options, async () => {});
    expect(report).toMatchObject({ fatal: { code: 'TRANSFER_AUTH_FAILED' }, failed: 1, notDone: 2 });
    expect(failures).toEqual([['a', 'TRANSFER_AUTH_FAILED']]);
    expect(slept).toEqual([]);
  });

  it('a full target: the files in flight fail and are recorded, the others are left for the next run', async () => {
    const server = new MemoryStore();
    const { options, slept } = pool(server, { connections: 2, lanes: 1 });
    const full = (item: string) => new NocturneError('TRANSFER_STORAGE_FULL', `${item}: storage full (452)`, { retryable: true });
    let recordedA: () => void = () => {};
    const aRecorded = new Promise<void>((resolve) => (recordedA = resolve));
    const failures: string[] = [];
    const report = await runPool(
      ['a', 'b', 'c', 'd', 'e'],
      options,
      async (item) => {
        if (item === 'a') throw full(item);
        // b's reply comes once the run has given the target up (a macrotask after a's record).
        await aRecorded;
        await new Promise((resolve) => setImmediate(resolve));
        throw full(item);
      },
      async (item, err) => {
        failures.push(`${item} ${err.code}`);
        if (item === 'a') recordedA();
      },
    );
    expect(report).toMatchObject({ fatal: { code: 'TRANSFER_STORAGE_FULL' }, failed: 2, notDone: 3 });
    expect(failures).toEqual(['a TRANSFER_STORAGE_FULL', 'b TRANSFER_STORAGE_FULL']);
    expect(slept).toEqual([]);
  });

  it('on abort, the current item is abandoned (not recorded as failed) and nothing more starts', async () => {
    const server = new MemoryStore();
    const controller = new AbortController();
    const { options } = pool(server, { connections: 1, signal: controller.signal });
    const started: string[] = [];
    const { report, failures } = await drain(['a', 'b', 'c'], options, async (item) => {
      started.push(item);
      controller.abort();
      throw new NocturneError('ABORTED', 'stopped');
    });
    expect(started).toEqual(['a']);
    expect(failures).toEqual([]);
    expect(report).toEqual({ fatal: null, failed: 0, notDone: 3 });
  });

  it('stops everything when a failure cannot even be recorded (database down)', async () => {
    const server = new MemoryStore();
    const { options } = pool(server, { connections: 2, lanes: 2 });
    const started: string[] = [];
    const report = await runPool(
      ['a', 'b', 'c', 'd', 'e', 'f'],
      options,
      async (item) => {
        started.push(item);
        throw new NocturneError('DB_FAILED', `transfers: ${item}: connection terminated`);
      },
      async () => {
        throw new NocturneError('DB_FAILED', 'transfers: recording the failure: connection terminated');
      },
    );
    expect(report.fatal).toMatchObject({ code: 'DB_FAILED', message: expect.stringContaining('recording the failure') });
    expect(started.length).toBeLessThanOrEqual(4);
    expect(report.failed + report.notDone).toBe(6);
    expect(server.closed).toBe(server.opened);
  });

  it('never opens more sessions than items or connections', async () => {
    const server = new MemoryStore();
    const { options } = pool(server, { connections: 8 });
    await drain(['a', 'b'], options, async () => {});
    expect(server.opened).toBe(2);
    expect(server.closed).toBe(2);
  });

  it('shares a connection between lanes; a failed one is replaced, and closed once its other user is done', async () => {
    const server = new MemoryStore();
    const { options } = pool(server, { connections: 1, lanes: 2 });
    const used: Array<[string, RemoteSession]> = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { report } = await drain(['slow', 'fails', 'after'], options, async (item, s) => {
      used.push([item, s]);
      if (item === 'slow') await slow;
      if (item === 'fails') {
        // Retired while 'slow' still uses it: not closed under its feet.
        setTimeout(release, 5);
        if (used.filter(([i]) => i === 'fails').length === 1) throw transient('reset');
      }
    });
    expect(report).toEqual({ fatal: null, failed: 0, notDone: 0 });
    const sessionOf = (item: string) => used.filter(([i]) => i === item).map(([, s]) => s);
    expect(sessionOf('fails')[0]).toBe(sessionOf('slow')[0]);
    expect(sessionOf('fails')[1]).not.toBe(sessionOf('fails')[0]);
    expect(server.opened).toBe(2);
    expect(server.closed).toBe(2);
  });
});
