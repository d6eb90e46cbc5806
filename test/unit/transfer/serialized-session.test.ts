import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RemoteSession } from '../../../src/adapters/transfer/remote-store.js';
import { serializeSession } from '../../../src/adapters/transfer/serialized-session.js';

/** A session that records overlapping calls and lets the test finish each one. */
function recorder() {
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const streams: PassThrough[] = [];
  const op =
    (name: string, fail = false) =>
    async (arg: string) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name} ${arg}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${name} ${arg}`);
      running -= 1;
      if (fail) throw new Error(`${name} failed`);
      return 7;
    };
  const session = {
    serverHashes: ['sha256'],
    ensureDir: op('ensureDir'),
    put: (_local: string, remote: string) => op('put')(remote),
    rename: op('rename', true),
    size: op('size'),
    remove: op('remove'),
    list: async () => [],
    serverHash: async () => null,
    read: async (path: string) => {
      log.push(`read ${path}`);
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    },
    close: async () => void log.push('close'),
  } as unknown as RemoteSession;
  return { session, log, streams, maxRunning: () => maxRunning };
}

describe('serializeSession', () => {
  it('runs operations one at a time, in call order, and a failure does not block the next', async () => {
    const r = recorder();
    const s = serializeSession(r.session);
    const results = await Promise.allSettled([s.put('/l', 'a'), s.rename('b', 'c'), s.size('d')]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.maxRunning()).toBe(1);
    expect(r.log).toEqual(['start put a', 'end put a', 'start rename b', 'end rename b', 'start size d', 'end size d']);
    expect(s.serverHashes).toEqual(['sha256']);
  });

  it('holds the connection while a read stream is being consumed', async () => {
    const r = recorder();
    const s = serializeSession(r.session);
    const stream = await s.read('x');
    const sized = s.size('y');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.log).toEqual(['read x']);
    stream.resume();
    r.streams[0]!.end('data');
    await sized;
    expect(r.log).toEqual(['read x', 'start size y', 'end size y']);
  });
});
