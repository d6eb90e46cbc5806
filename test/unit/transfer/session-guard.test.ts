import { describe, expect, it } from 'vitest';
import { SessionGuard } from '../../../src/adapters/transfer/session-guard.js';

function guard(timeoutMs = 40, signal?: AbortSignal) {
  const destroyed: string[] = [];
  const g = new SessionGuard({ target: 'archive', timeoutMs, signal, destroy: () => destroyed.push('destroy') });
  return { g, destroyed };
}
const never = () => new Promise<never>(() => {});
const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('SessionGuard', () => {
  it('returns what the operation returns', async () => {
    const { g, destroyed } = guard();
    expect(await g.run('size', '/a', async () => 42)).toBe(42);
    expect(destroyed).toEqual([]);
  });

  it('cuts off an operation that does not answer, destroys the connection and retires the session', async () => {
    const { g, destroyed } = guard();
    await expect(g.run('rename', '/a', never)).rejects.toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
      message: 'target "archive": rename /a: no progress within 40 ms',
    });
    expect(destroyed).toEqual(['destroy']);
    await expect(g.run('size', '/a', async () => 1)).rejects.toThrow(/session closed after an error .* open a new one/);
  });

  it('lets a transfer run past the deadline as long as it makes progress', async () => {
    const { g } = guard(40);
    const result = await g.run('put', '/a', async (touch) => {
      for (let i = 0; i < 5; i += 1) {
        await later(20, null);
        touch();
      }
      return 'done';
    });
    expect(result).toBe('done');
  });

  it('stops at once on abort, with ABORTED', async () => {
    const controller = new AbortController();
    const { g, destroyed } = guard(10_000, controller.signal);
    setTimeout(() => controller.abort(new Error('SIGTERM')), 10);
    await expect(g.run('put', '/a', never)).rejects.toMatchObject({ code: 'ABORTED', message: 'put: aborted (Error: SIGTERM)' });
    expect(destroyed).toEqual(['destroy']);
  });

  it('translates a library error, naming target, operation and path', async () => {
    const { g } = guard();
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    await expect(g.run('put', '/hfc/a.csv', () => Promise.reject(err))).rejects.toMatchObject({
      code: 'TRANSFER_FAILED',
      retryable: true,
      message: 'target "archive": put /hfc/a.csv: read ECONNRESET (ECONNRESET)',
    });
  });

  it('close() destroys a connection whose polite end hangs, and never throws', async () => {
    const { g, destroyed } = guard(30);
    await g.close(never);
    expect(destroyed).toEqual(['destroy']);
    const polite = guard(30);
    await polite.g.close(async () => {});
    expect(polite.destroyed).toEqual([]);
  });

  it('stream() ends only after the transfer was confirmed, and fails when it fails', async () => {
    const { g } = guard();
    const out = g.stream('read', '/a', async (sink) => {
      sink.write(Buffer.from('abc'));
      await later(10, null);
    });
    const chunks: Buffer[] = [];
    for await (const c of out) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abc');
    const failing = guard().g.stream('read', '/b', () => Promise.reject(new Error('550 No such file')));
    await expect(failing.toArray()).rejects.toThrow('target "archive": read /b: 550 No such file');
  });
});
