import path from 'node:path';
import { coerceError } from '../core/errors.js';
import { problem, type DocPath, type Problem } from './issues.js';
import { daemonConfigSchema, isSecretRefSchema, secretRef, type SecretRef } from './schema.js';
import { resolveSecret } from './secrets.js';
import { findPaths, valueAt } from './schema-walk.js';

/** Where the secret references of config/nocturne.yaml are, found through the schema. */
export function secretPaths(daemon: unknown): DocPath[] {
  return findPaths(daemonConfigSchema, daemon, isSecretRefSchema);
}

/** A `file` reference made absolute: relative ones are relative to the configuration directory. */
export function anchorSecret(ref: SecretRef, dir: string): SecretRef {
  return 'file' in ref ? { file: path.resolve(dir, ref.file) } : ref;
}

/**
 * Resolves every secret this host will need, so a missing one stops the start instead
 * of the first upload at night. Targets that no stage of this host uses are skipped:
 * the compute host need not hold the catalogue's archive password. Only the reference
 * is named in a problem; the value read is dropped at once.
 */
export async function secretProblems(
  daemon: unknown,
  usesTarget: (name: string) => boolean,
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const at of secretPaths(daemon)) {
    if (at[0] === 'targets' && !usesTarget(String(at[1]))) continue;
    const ref = secretRef.safeParse(valueAt(daemon, at));
    // A malformed reference is the schema's to report.
    if (!ref.success) continue;
    try {
      await resolveSecret(anchorSecret(ref.data, dir), env);
    } catch (err) {
      problems.push(problem(at, 'value', coerceError(err, 'SECRET_UNAVAILABLE').message));
    }
  }
  return problems;
}
