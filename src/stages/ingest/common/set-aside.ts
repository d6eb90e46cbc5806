import { constants } from 'node:fs';
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { coerceError } from '../../../core/errors.js';
import { moveFile } from '../../../adapters/files/move-file.js';

export interface SetAsideRequest {
  /** The rejected local file. */
  file: string;
  /** Its path relative to the source directory: kept below <quarantine>/<pipeline>/. */
  relPath: string;
  quarantineDir: string;
  pipeline: string;
  sha256: string;
  /** Text of the .report.txt written beside it. */
  report: string;
}

/**
 * Moves a rejected local file out of the source directory so that nobody mistakes it
 * for pending work, with a report beside it. The ledger row (committed before) is the
 * record; if the process dies before the move, the next run sees the rejected file
 * still in place and moves it then. Returns where the file now is.
 */
export async function setAside(request: SetAsideRequest): Promise<string> {
  const base = path.join(request.quarantineDir, request.pipeline);
  let target = path.join(base, ...request.relPath.split('/'));
  try {
    await mkdir(path.dirname(target), { recursive: true });
    // Another rejected file had the same name: keep both, this one tagged with its hash.
    if (await exists(target)) {
      const ext = path.extname(target);
      target = `${target.slice(0, target.length - ext.length)}.${request.sha256.slice(0, 12)}${ext}`;
    }
    const report = `${target}.report.txt`;
    await writeFile(`${report}.tmp`, request.report);
    await rename(`${report}.tmp`, report);
    // The quarantine directory may be on another file system than the source.
    await moveFile(request.file, target);
    return target;
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `${request.file}: could not be set aside in ${base}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}
