import { NocturneError } from '../../core/errors.js';
import path from 'node:path';
import { checkRemoteDir, joinRemote } from '../../adapters/transfer/remote-paths.js';
import { REMOTE_DIR_PLACEHOLDERS } from '../../config/schema.js';
import { fileNameDate } from '../nights.js';

export interface TemplateValues {
  pipeline: string;
  code: string;
  version: string;
}

const PLACEHOLDERS: ReadonlySet<string> = new Set(REMOTE_DIR_PLACEHOLDERS);

/** Refuses a remoteDir template with an unknown placeholder, before any file is touched. */
export function checkRemoteDirTemplate(template: string, where: string): void {
  for (const [, name] of template.matchAll(/\{([^}]*)\}/g)) {
    if (!PLACEHOLDERS.has(name ?? '')) {
      throw new NocturneError(
        'CONFIG_INVALID',
        `${where}: upload.remoteDir "${template}" has an unknown placeholder {${name}} (known: ${[...PLACEHOLDERS].map((p) => `{${p}}`).join(' ')})`,
      );
    }
  }
}

/**
 * The observation date of a file: the `YYYYMMDDTHHMMSS` stamp HFC codes put in their
 * file names (sdoss_106_20140221T000045_sdo_feat.csv), else the file's mtime, in UTC.
 */
export function fileDate(fileName: string, mtimeMs: number): Date {
  return fileNameDate(fileName) ?? new Date(mtimeMs);
}

/** The remote directory of one file: the template with its placeholders filled in. */
export function renderRemoteDir(template: string, values: TemplateValues, date: Date): string {
  const fill: Record<string, string> = {
    pipeline: values.pipeline,
    code: values.code,
    version: values.version,
    yyyy: String(date.getUTCFullYear()).padStart(4, '0'),
    mm: String(date.getUTCMonth() + 1).padStart(2, '0'),
    dd: String(date.getUTCDate()).padStart(2, '0'),
  };
  const dir = template.replace(/\{([^}]*)\}/g, (whole, name: string) => fill[name] ?? whole);
  return checkRemoteDir(dir);
}

/** Where a file of the outbox goes: the rendered directory, then its path below the outbox. */
export function remotePathFor(template: string, values: TemplateValues, file: { path: string; relative: string; mtimeMs: number }): string {
  const dir = renderRemoteDir(template, values, fileDate(path.basename(file.path), file.mtimeMs));
  return joinRemote(dir, file.relative);
}
