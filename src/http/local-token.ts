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

/**
 * The Authorization header for the daemon of the configuration directory `dir`, or none
 * when its token cannot be read (another user, or no daemon started yet). The YAML is
 * read leniently: a reload is asked precisely when the file may not validate.
 */
export async function localAuthorization(dir: string): Promise<Record<string, string>> {
  let state = '/var/lib/nocturne';
  try {
    const text = (await readRegularFile(path.join(dir, 'config', 'nocturne.yaml'), MAX_CONFIG_BYTES)).toString('utf8');
    const config = parse(text, { merge: true }) as { paths?: { state?: unknown } } | null;
    if (typeof config?.paths?.state === 'string') state = path.resolve(dir, config.paths.state);
  } catch {
    // The daemon says what is wrong with the file; the default place is tried meanwhile.
  }
  try {
    const token = (await readFile(path.join(state, TOKEN_FILE), 'utf8')).trim();
    return token ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}
