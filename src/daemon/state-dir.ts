import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { NocturneError } from '../core/errors.js';

/**
 * Makes sure the daemon can write its state directory, before it does anything else.
 * Node's recursive mkdir reports a read-only file system as ENOENT, and the first write
 * there would otherwise fail somewhere deep, naming no setting: this names paths.state,
 * and a configuration problem is not worth a restart (exit 78).
 */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new NocturneError(
      'CONFIG_INVALID',
      `paths.state ${dir}: the daemon cannot create or write it (${why}). Set paths.state in config/nocturne.yaml to a directory it may write; ` +
        'under the systemd unit that is /var/lib/nocturne (ProtectSystem=strict makes the rest read-only; a drop-in with ReadWritePaths= adds others)',
    );
  }
}
