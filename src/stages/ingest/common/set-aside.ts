import { constants } from 'node:fs';
import { access, copyFile, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { coerceError } from '../../../core/errors.js';
import { sameFile } from '../../../adapters/transfer/local-source.js';

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
    if (await exists(target)) {
      if (await sameFile(request.file, target)) {
        // Set aside there already (a retry's move back cut short, then this run): the
        // source name goes; the first report stays, or this one takes its place.
        if (!(await exists(`${target}.report.txt`))) await writeReport(`${target}.report.txt`, request.report);
        await unlink(request.file);
        return target;
      }
      // Another rejected file had the same name: keep both, this one tagged with its hash.
      const ext = path.extname(target);
      target = `${target.slice(0, target.length - ext.length)}.${request.sha256.slice(0, 12)}${ext}`;
    }
    await writeReport(`${target}.report.txt`, request.report);
    await move(request.file, target);
    return target;
  } catch (err) {
    throw coerceError(err, 'INTERNAL', `${request.file}: could not be set aside in ${base}`);
  }
}

async function writeReport(report: string, text: string): Promise<void> {
  await writeFile(`${report}.tmp`, text);
  await rename(`${report}.tmp`, report);
}

async function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // The quarantine directory is on another file system: copied under a temporary name,
    // so that the quarantine's name never holds part of a file, then removed.
    await copyFile(from, `${to}.part`);
    await rename(`${to}.part`, to);
    await unlink(from);
  }
}
