import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { NocturneError } from '../../core/errors.js';

// NUL, C0 controls (CR/LF: FTP command injection) and DEL.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;
const hasControl = (s: string) => CONTROL.test(s);
const MAX_PATH = 4096;

/**
 * Checks a remote path built from configuration and file names: POSIX separators,
 * absolute or relative to the login directory, no empty, "." or ".." segment,
 * no control character. Returns it unchanged so callers can write `remotePath(x)`.
 */
export function checkRemotePath(remote: string, what = 'remote path'): string {
  const fail = (why: string) => new NocturneError('PATH_UNSAFE', `${what} ${JSON.stringify(remote)} is refused: ${why}`);
  if (remote === '' || remote.length > MAX_PATH) throw fail(`length must be 1 to ${MAX_PATH}`);
  if (hasControl(remote)) throw fail('it contains a control character (NUL, CR, LF...)');
  if (remote.includes('\\')) throw fail('it contains a backslash');
  const segments = (remote.startsWith('/') ? remote.slice(1) : remote).split('/');
  if (remote !== '/' && segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw fail('it has an empty, "." or ".." segment');
  }
  return remote;
}

/** One name inside a directory, e.g. from a server listing, which is never trusted. */
export function checkRemoteName(name: string, dir: string): string {
  const fail = (why: string) =>
    new NocturneError('PATH_UNSAFE', `entry ${JSON.stringify(name)} listed in ${JSON.stringify(dir)} is refused: ${why}`);
  if (name === '' || name === '.' || name === '..' || name.includes('/') || hasControl(name)) throw fail('not a plain file name');
  // The clients decode names as UTF-8, a byte that is not becomes U+FFFD: that name reaches no file.
  if (name.includes('\uFFFD')) throw fail('its name is not valid UTF-8 (U+FFFD shows where)');
  return name;
}

export function joinRemote(dir: string, ...names: string[]): string {
  return checkRemotePath(path.posix.join(dir, ...names));
}

/** `dir` without its trailing slashes ("/" stays "/"): "/hfc/sdoss/" has an empty last segment. */
export function withoutTrailingSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
}

/** A configured remote directory as the stages use it: without its trailing slashes, checked (checkRemotePath). */
export function checkRemoteDir(dir: string): string {
  return checkRemotePath(withoutTrailingSlash(dir), 'remote directory');
}

/** A relative remote path resolved against the session's login directory. */
export function resolveRemote(home: string, remote: string): string {
  checkRemotePath(remote);
  return remote.startsWith('/') ? remote : path.posix.join(home, remote);
}

/** The longest file name most file systems take (NAME_MAX), in bytes. */
const NAME_MAX_BYTES = 255;

/**
 * The temporary name a file is uploaded under (rclone's convention): beside the final
 * name, so the rename stays within one directory, and random, so a connection left over
 * from a crashed run can never write into the new upload. The final name is cut short
 * where the suffix would take the partial name past 255 bytes: a name of 239 bytes or
 * more could otherwise never be uploaded ("File name too long").
 */
export function partialPathFor(remote: string, random: () => string = randomToken): string {
  const suffix = `.${random()}.partial`;
  const dir = path.posix.dirname(remote);
  const name = path.posix.basename(remote);
  const room = NAME_MAX_BYTES - Buffer.byteLength(suffix);
  if (Buffer.byteLength(name) <= room) return checkRemotePath(`${remote}${suffix}`);
  // Cut on a character boundary: a name is UTF-8 on the wire.
  let cut = '';
  for (const char of name) {
    if (Buffer.byteLength(cut + char) > room) break;
    cut += char;
  }
  return checkRemotePath(`${dir === '.' ? '' : `${dir}/`}${cut}${suffix}`);
}

function randomToken(): string {
  return randomBytes(6)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');
}
