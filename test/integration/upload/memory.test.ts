// The upload stage's memory with hostile quicklooks in its outbox: 10 inflated JPEGs,
// five claiming more pixels than quicklooks.maxPixels (refused from their header) and
// five just under it (found too short for their header). Decoded in full, each of
// these would cost 192 MB to 768 MB; the stage must stay under 250 MiB RSS. Measured
// in a process of its own (peak RSS of the whole process: Node, pg, sharp and libvips).
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageOutcome } from '../../../src/stages/types.js';
import { inflatedJpeg } from '../../../harness/inflated-jpeg.js';
import { createUploadWorld, type UploadWorld } from '../../../harness/upload-world.js';

const CHILD = fileURLToPath(new URL('./upload-child.ts', import.meta.url));
const UNIT = fileURLToPath(new URL('../../../systemd/nocturne.service', import.meta.url));
const LIMIT_BYTES = 250 * 2 ** 20;

/** A systemd byte size as the unit writes it (`512M`, `1G`): base 1024. */
function unitBytes(text: string, key: string): number {
  const match = new RegExp(`^${key}=(\\d+)([KMG])$`, 'm').exec(text);
  if (!match) throw new Error(`systemd/nocturne.service has no ${key}=<n>K|M|G`);
  return Number(match[1]) * 1024 ** ' KMG'.indexOf(match[2]!);
}

describe('upload stage memory', () => {
  let world: UploadWorld;
  beforeAll(async () => {
    world = await createUploadWorld('memory', { protocol: 'local', upload: { quicklooks: { check: true, thumbnailWidth: 256 } } });
    for (let i = 0; i < 5; i += 1) {
      await world.file(`over_${i}_20140221T000045.jpg`, await inflatedJpeg(16000, 16000));
      await world.file(`under_${i}_20140221T000045.jpg`, await inflatedJpeg(8000, 8000));
    }
    await world.jpeg('good_20140221T000045.jpg', 1024, 1024);
  });
  afterAll(async () => world?.close());

  it('stays under 250 MiB RSS with 10 inflated JPEGs in the outbox, and quarantines them', async () => {
    const specFile = path.join(world.config.dir, 'spec.json');
    await writeFile(specFile, JSON.stringify(world.spec));
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, specFile, world.db.url, world.db.schema], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    const { outcome, maxRssBytes } = JSON.parse(stdout) as { outcome: StageOutcome; maxRssBytes: number };
    expect(maxRssBytes, `peak RSS ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`).toBeLessThan(LIMIT_BYTES);
    expect(outcome).toMatchObject({ ok: true, stats: { quarantined: 10, deleted: 2 } });
    const reasons = (await world.transfers()).filter((r) => r.state === 'quarantined').map((r) => r.error);
    expect(reasons.filter((r) => r?.includes('header claims 16000 × 16000 px, more than quicklooks.maxPixels'))).toHaveLength(5);
    expect(reasons.filter((r) => r?.includes('image data shorter than its header claims: '))).toHaveLength(5);
  });

  it("sets the systemd unit's MemoryHigh above that bound and MemoryMax above MemoryHigh", async () => {
    const unit = await readFile(UNIT, 'utf8');
    const high = unitBytes(unit, 'MemoryHigh');
    const max = unitBytes(unit, 'MemoryMax');
    // Room for the daemon and two stages at their bound at once, before the kernel throttles.
    expect(high).toBeGreaterThanOrEqual(2 * LIMIT_BYTES);
    expect(max).toBeGreaterThan(high);
  });
});
