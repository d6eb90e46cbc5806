import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockNight, type NightLock } from './night-lock.js';

describe('fault night lock', () => {
  const held: NightLock[] = [];
  let dir = '';
  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets one night in at a time, and the next once the first has ended', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nocturne-night-lock-'));
    const first = await lockNight(dir, 5_000);
    await expect(lockNight(dir, 1_000)).rejects.toThrow(/held .*faults\.lock for more than 1 s/);
    const next = lockNight(dir, 5_000);
    await first.release();
    held.push(await next);
  });
});
