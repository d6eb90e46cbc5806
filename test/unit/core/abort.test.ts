import { describe, expect, it } from 'vitest';
import { backoffMs, sleep, withDeadline } from '../../../src/core/abort.js';
import { NocturneError } from '../../../src/core/errors.js';

describe('sleep', () => {
  it('rejects with ABORTED as soon as the signal fires', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects at once on an already aborted signal', async () => {
    await expect(sleep(10, AbortSignal.abort())).rejects.toBeInstanceOf(NocturneError);
  });
});

describe('withDeadline', () => {
  it('passes a result through', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
  });

  it('rejects with a retryable TIMEOUT naming the operation and lets the caller destroy it', async () => {
    let destroyed = false;
    const never = new Promise<never>(() => {});
    const err = await withDeadline(never, 20, 'ftp size /a.csv', () => (destroyed = true)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect((err as Error).message).toContain('ftp size /a.csv');
    expect(destroyed).toBe(true);
  });
});

describe('backoffMs', () => {
  it('grows exponentially within [ceiling/2, ceiling] and is capped', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
