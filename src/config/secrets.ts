import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NocturneError } from '../core/errors.js';
import { readRegularFile, type UnreadableFile } from './read-text.js';
import type { SecretRef } from './schema.js';

/** A secret is a password or a key: far smaller than this. */
const MAX_SECRET_BYTES = 64 * 1024;

/** How a reference is named in messages: the reference, never the value. */
export function describeSecret(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `credential ${ref.credential}`;
}

/**
 * Reads a secret at the moment it is needed, so rotated credentials are picked up
 * without a restart and the value never sits in the configuration object.
 */
export async function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fail = (why: string) => new NocturneError('SECRET_UNAVAILABLE', `secret from ${describeSecret(ref)} is unavailable: ${why}`);
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw fail('not set');
    return value;
  }
  let file: string;
  if ('file' in ref) {
    file = ref.file;
    const info = await stat(file).catch(() => null);
    if (!info) throw fail('no such file');
    if ((info.mode & 0o077) !== 0) throw fail('readable by group or other (chmod 600)');
  } else {
    const dir = env['CREDENTIALS_DIRECTORY'];
    if (!dir) throw fail('$CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)');
    file = path.join(dir, ref.credential);
  }
  // The reason names the file's kind or size, never its content.
  const bytes = await readRegularFile(file, MAX_SECRET_BYTES).catch((err: UnreadableFile) => {
    throw fail(err.message);
  });
  return bytes.toString('utf8').replace(/\r?\n$/, '');
}
