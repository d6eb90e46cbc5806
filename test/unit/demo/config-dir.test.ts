import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDirs, SHIPPED_CONFIG_DIR } from '../../../src/demo/config-dir.js';

describe("the demo's configuration", () => {
  let empty: string;
  let own: string;

  beforeAll(async () => {
    empty = await mkdtemp(path.join(os.tmpdir(), 'nocturne-demo-empty-'));
    own = await mkdtemp(path.join(os.tmpdir(), 'nocturne-demo-own-'));
    await mkdir(path.join(own, 'config'));
    await writeFile(path.join(own, 'config', 'nocturne.yaml'), 'database: {}\n');
  });

  afterAll(async () => {
    await rm(empty, { recursive: true, force: true });
    await rm(own, { recursive: true, force: true });
  });

  it('is the one shipped with nocturne when none is given and the current directory has none, its files in the temporary directory', () => {
    const dirs = demoDirs({}, {}, empty);
    expect(dirs.config).toBe(SHIPPED_CONFIG_DIR);
    expect(path.dirname(dirs.state!)).toBe(os.tmpdir());
    expect(existsSync(path.join(SHIPPED_CONFIG_DIR, 'config', 'nocturne.yaml'))).toBe(true);
    expect(existsSync(path.join(SHIPPED_CONFIG_DIR, 'package.json'))).toBe(true);
  });

  it("is the current directory's when it holds one", () => {
    expect(demoDirs({}, {}, own)).toEqual({ config: own, state: undefined });
  });

  it('is --config, then $NOCTURNE_CONFIG_DIR, when given, even without a configuration (the demo then says so)', () => {
    expect(demoDirs({ config: empty }, { NOCTURNE_CONFIG_DIR: own }, own)).toEqual({ config: empty, state: undefined });
    expect(demoDirs({}, { NOCTURNE_CONFIG_DIR: empty }, own)).toEqual({ config: empty, state: undefined });
  });
});
