// A crash right after each recorded state (and between the upload and its
// verification, and between the rename and its record), then a fresh run: nothing is
// lost, nothing is left half-done on the server, and no local copy disappears before its
// remote copy was verified.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transfer } from '../../../src/stages/upload/transfer-ledger.js';
import type { UploadHooks } from '../../../src/stages/upload/verified-upload.js';
import { createUploadWorld, type UploadWorld } from '../../../harness/upload-world.js';

type CrashPoint = 'discovered' | 'uploading' | 'after-put' | 'after-rename' | 'verified' | 'renamed' | 'checked' | 'deleted';
const POINTS: CrashPoint[] = ['discovered', 'uploading', 'after-put', 'after-rename', 'verified', 'renamed', 'checked', 'deleted'];
/** Crashes inside a step, before its record: the row is still uploading. */
const INSIDE: Partial<Record<CrashPoint, keyof UploadHooks>> = { 'after-put': 'beforeVerify', 'after-rename': 'afterRename' };

/** Hooks that "crash" the run (stop everything, at once) the first time any file reaches `point`. */
function crashAt(point: CrashPoint, controller: AbortController): { hooks: UploadHooks; crashed: () => Transfer | null } {
  let crashed: Transfer | null = null;
  const crash = (t: Transfer) => {
    if (crashed) return;
    crashed = t;
    controller.abort(new Error(`simulated crash at ${point}`));
    throw new Error(`simulated crash at ${point}`);
  };
  return {
    hooks:
      INSIDE[point] !== undefined
        ? { [INSIDE[point]]: crash }
        : { afterState: (t) => (t.state === point && t.kind === 'output' ? crash(t) : undefined) },
    crashed: () => crashed,
  };
}

describe.each(['ftp', 'sftp'] as const)('crash recovery over %s', (protocol) => {
  let world: UploadWorld;
  beforeAll(async () => {
    world = await createUploadWorld(`crash-${protocol}`, { protocol, upload: { verify: 'sha256-readback' } });
  });
  afterAll(async () => world?.close());

  it.each(POINTS)('after %s', async (point) => {
    const names = [1, 2, 3].map((n) => `${point}/sdoss_106_20140221T00000${n}_sdo_feat.csv`);
    const files = await Promise.all(names.map((n, i) => world.file(n, 200_000 + i)));
    const bodies = files.map((f) => readFileSync(f));
    const remoteOf = (name: string) => path.join(world.remoteLocal, 'sdoss/2014/02', name);

    const controller = new AbortController();
    const { hooks, crashed } = crashAt(point, controller);
    // The crash either ends the run with an outcome that is not ok, or with the exception.
    const first = await world.run({ hooks, signal: controller.signal }).catch(() => ({ ok: false }));
    expect(first.ok).toBe(false);
    const victim = crashed();
    expect(victim?.state ?? 'none').toBe(INSIDE[point] !== undefined ? 'uploading' : point);

    // After the crash: every local copy that is gone has a complete remote copy.
    for (const [i, file] of files.entries()) {
      if (!existsSync(file)) expect(readFileSync(remoteOf(names[i]!)).equals(bodies[i]!)).toBe(true);
    }
    if (INSIDE[point] !== undefined) {
      // The interrupted upload left its partial behind under the name recorded for it, or
      // had renamed it: then the final name holds the verified bytes.
      const row = (await world.transfers()).find((r) => r.local_path === victim!.localPath)!;
      expect(row).toMatchObject({ state: 'uploading', partial_path: expect.stringMatching(/\.partial$/) });
      const partialLeft = existsSync(path.join(world.remoteLocal, path.relative(world.remoteBase, row.partial_path!)));
      expect(partialLeft).toBe(point === 'after-put');
      const i = files.indexOf(victim!.localPath);
      if (point === 'after-rename') expect(readFileSync(remoteOf(names[i]!)).equals(bodies[i]!)).toBe(true);
    }

    const second = await world.run();
    expect(second.error).toBeUndefined();
    expect(second.ok).toBe(true);
    for (const [i, file] of files.entries()) {
      expect(existsSync(file)).toBe(false);
      expect(readFileSync(remoteOf(names[i]!)).equals(bodies[i]!)).toBe(true);
    }
    expect((await world.remoteFiles()).filter((f) => f.includes('.partial'))).toEqual([]);
    const rows = (await world.transfers()).filter((r) => files.includes(r.local_path));
    expect(rows.map((r) => r.state)).toEqual(['deleted', 'deleted', 'deleted']);
    const history = await world.history(victim!.localPath);
    // Never deleted without the final name having been re-checked just before.
    expect(history.slice(-2)).toEqual(['checked', 'deleted']);
    if (INSIDE[point] !== undefined) expect(history.filter((s) => s === 'uploading')).toHaveLength(2);
  });
});
