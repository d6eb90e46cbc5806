import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDir, type CliOptions } from '../cli/runtime.js';

/** The configuration shipped with nocturne: config/ and pipelines/ beside its package.json. */
export const SHIPPED_CONFIG_DIR = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

export interface DemoDirs {
  /** The directory holding config/ and pipelines/. */
  config: string;
  /** Where the night's files live; undefined: var/demo below `config`. */
  state: string | undefined;
}

/**
 * The demo's configuration: --config or $NOCTURNE_CONFIG_DIR when given; else the current
 * directory when it holds one; else the one shipped with nocturne, so that `nocturne demo`
 * runs from anywhere once installed. With the shipped one, the night's files go to the
 * temporary directory: an installed package may not be writable by whoever runs it.
 */
export function demoDirs(options: CliOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): DemoDirs {
  if (options.config !== undefined || env['NOCTURNE_CONFIG_DIR'] !== undefined) {
    return { config: configDir(options, env), state: undefined };
  }
  if (existsSync(path.join(cwd, 'config', 'nocturne.yaml'))) return { config: path.resolve(cwd), state: undefined };
  // By uid, not name: a uid without a passwd entry (a container's) has no name.
  return { config: SHIPPED_CONFIG_DIR, state: path.join(os.tmpdir(), `nocturne-demo-${process.getuid?.() ?? 'user'}`) };
}
