import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { MAX_CONFIG_BYTES, readRegularFile } from '../config/read-text.js';

/** Beside the daemon's state: readable by its Unix user (and root) alone. */
const TOKEN_FILE = 'http.token';

/** A fresh random token for this start of the daemon. */
export function newLocalToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The token in <paths.state>/http.token (mode 600), written at each start once the
 * daemon listens. Loopback is not private on a login node: this is how `nocturne
 * reload`, run by the daemon's own user, proves it may change something.
 */
export async function writeLocalToken(stateDir: string, token: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = path.join(stateDir, TOKEN_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${token}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** What `nocturne reload` reads of config/nocturne.yaml, which may not validate. */
export interface LenientDaemonYaml {
  http?: { listen?: unknown; enabled?: unknown };
  paths?: { state?: unknown };
}

/**
 * config/nocturne.yaml of the configuration directory `dir`, read leniently (a reload is
 * asked precisely when the file may not validate; the daemon says what is wrong with
 * it): its data, or why it could not be read.
 */
export async function readDaemonYamlLeniently(dir: string): Promise<{ file: string; data: LenientDaemonYaml | null; error?: string }> {
  const file = path.join(dir, 'config', 'nocturne.yaml');
  try {
    const text = (await readRegularFile(file, MAX_CONFIG_BYTES)).toString('utf8');
    return { file, data: parse(text, { merge: true }) as LenientDaemonYaml | null };
  } catch (err) {
    return { file, data: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The Authorization header for the daemon of the configuration directory `dir` whose
 * daemon file says `config`, or none when its token cannot be read (another user, or no
 * daemon started yet). Without a paths.state, the default place is tried.
 */
export async function localAuthorization(dir: string, config: LenientDaemonYaml | null): Promise<Record<string, string>> {
  const setting = config?.paths?.state;
  const state = typeof setting === 'string' ? path.resolve(dir, setting) : '/var/lib/nocturne';
  try {
    const token = (await readFile(path.join(state, TOKEN_FILE), 'utf8')).trim();
    return token ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}
