import { NocturneError } from './errors.js';

/** Resolves after `ms`, or rejects with ABORTED as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Races `work` against a deadline of our own: libraries such as ssh2 can hang in
 * end() or on a dead socket, so no remote operation is trusted to return by itself.
 * `onTimeout` gets the chance to destroy the underlying connection.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new NocturneError('TIMEOUT', `${what}: no answer within ${ms} ms`, { retryable: true }));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Exponential backoff with full jitter, capped. `attempt` starts at 1. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function aborted(signal?: AbortSignal): NocturneError {
  return new NocturneError('ABORTED', `aborted: ${String(signal?.reason ?? 'stop requested')}`, {
    cause: signal?.reason,
  });
}
