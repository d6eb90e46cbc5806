// The real thing: an upload process killed with SIGKILL at several moments of a batch,
// then a normal run. No local copy may be gone without a complete remote copy, and in
// the end every file is archived exactly once, with no partial left on the server.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUploadWorld, type UploadWorld } from '../../../harness/upload-world.js';

const CHILD = fileURLToPath(new URL('./upload-child.ts', import.meta.url));
const FILES = 40;

describe('upload killed with SIGKILL', () => {
  let world: UploadWorld;
  let specFile: string;
  const bodies = new Map<string, Buffer>();
  beforeAll(async () => {
    world = await createUploadWorld('kill9', { protocol: 'ftp', upload: { verify: 'sha256-readback' } });
    specFile = path.join(world.config.dir, 'spec.json');
    await writeFile(specFile, JSON.stringify(world.spec));
    for (let i = 0; i < FILES; i += 1) {
      const file = await world.file(`sdoss_106_20140221T0000${String(i).padStart(2, '0')}_sdo_feat.csv`, 150_000 + i);
      bodies.set(file, readFileSync(file));
    }
  });
  afterAll(async () => world?.close());

  const events = async () => (await world.db.db.one<{ n: number }>('SELECT count(*)::int AS n FROM transfer_events')).n;

  /** Starts the child and kills it once `more` further events were recorded. */
  async function killAfter(more: number): Promise<void> {
    const start = await events();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, specFile, world.db.url, world.db.schema], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let finished = false;
    void exited.then(() => (finished = true));
    while (!finished && (await events()) < start + more) await new Promise((r) => setTimeout(r, 5));
    expect(finished, `the child ended before it could be killed: ${stderr}`).toBe(false);
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
  }

  async function expectNoLocalCopyLostWithoutRemote(): Promise<void> {
    const rows = await world.transfers();
    for (const [file, body] of bodies) {
      const row = rows.find((r) => r.local_path === file);
      if (existsSync(file)) continue;
      expect(['checked', 'deleted']).toContain(row?.state);
      expect(readFileSync(path.join(world.remoteLocal, 'sdoss/2014/02', path.basename(file))).equals(body)).toBe(true);
    }
  }

  it.each([12, 90])('killed after %i more recorded events: nothing lost', async (more) => {
    await killAfter(more);
    await expectNoLocalCopyLostWithoutRemote();
  });

  it('a normal run then archives everything exactly once', async () => {
    const outcome = await world.run();
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    for (const [file, body] of bodies) {
      expect(existsSync(file)).toBe(false);
      expect(readFileSync(path.join(world.remoteLocal, 'sdoss/2014/02', path.basename(file))).equals(body)).toBe(true);
    }
    expect(await world.remoteFiles()).toHaveLength(FILES);
    const states = await world.db.db.any<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM transfers GROUP BY state');
    expect(states).toEqual([{ state: 'deleted', n: FILES }]);
  });
});
