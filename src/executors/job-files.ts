import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NocturneError } from '../core/errors.js';

/**
 * The files of one job, shared by the generated script (which reads and writes them on
 * the compute node), the executors and the run stage:
 *
 *   <jobDir>/job.sh              the generated batch script
 *   <jobDir>/task-<i>.argv       obs, attempt, then the command's argv; NUL-separated
 *   <jobDir>/task-<i>.exit       exit marker, written last by the script
 *   <jobDir>/task-<i>/out/       the task's output directory ({outdir}), its working directory
 *   <jobDir>/task-<i>/           the task's own directory: whatever it writes beside {outdir} lands here
 *
 * The job directory must be visible from the compute nodes (paths.work on a shared
 * filesystem). It lies outside the outbox: a task's outputs reach the outbox only when
 * nocturne has judged the task completed and moves them there (see stages/run/publish.ts),
 * so nothing a task writes, wherever it writes it, is uploaded unchecked.
 */
export const SCRIPT_NAME = 'job.sh';

/**
 * Variables handed to a job, local or on SLURM. Not the daemon's whole environment: it
 * may hold secrets (database password, FTP credentials) that a detection code has no
 * business seeing.
 */
export const JOB_ENV_VARS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

export function jobEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(JOB_ENV_VARS.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]]])));
}

export function taskArgvPath(jobDir: string, index: number): string {
  return path.join(jobDir, `task-${index}.argv`);
}

export function exitMarkerPath(jobDir: string, index: number): string {
  return path.join(jobDir, `task-${index}.exit`);
}

/** The task's own directory: {outdir} and anything it writes beside it. */
export function taskDir(jobDir: string, index: number): string {
  return path.join(jobDir, `task-${index}`);
}

/** {outdir}: where the task writes its outputs. */
export function taskOutDir(jobDir: string, index: number): string {
  return path.join(taskDir(jobDir, index), 'out');
}

/** The log file of task `index`, from a pattern in sbatch --output syntax (`%a`). */
export function taskLogPath(logPattern: string, index: number): string {
  return logPattern.replaceAll('%a', String(index));
}

/** The content of task-<i>.argv: read by the script with `mapfile -d ''`. */
export function encodeTaskArgv(obs: string, attempt: number, argv: readonly string[]): string {
  const fields = [obs, String(attempt), ...argv];
  const bad = fields.find((f) => f.includes('\0'));
  if (bad !== undefined) {
    throw new NocturneError('CONFIG_INVALID', `argument ${JSON.stringify(bad)} of observation ${obs} contains a NUL byte`);
  }
  return fields.map((f) => `${f}\0`).join('');
}

/** Version of the exit marker the generated script writes (see parseExitMarker). */
export const MARKER_VERSION = 2;

/** What the generated script recorded when the task ended. */
export interface ExitMarker {
  /** Exit status of the detection code (128+n when a signal n ended it). */
  rc: number;
  /**
   * Where the outputs are: 'task' (in {outdir}, for nocturne to publish), or 'outbox'
   * (published by the script itself: jobs submitted by nocturne before marker version 2).
   */
  outputsIn: 'task' | 'outbox';
  /** Output file names in {outdir}: CSVs, and quicklooks. */
  csv: string[];
  quicklooks: string[];
  /** Every other file the task wrote in its directory, relative to it (e.g. `out/sub/a.csv`, `x.csv`). */
  left: string[];
  /** Files of {outdir} named like outputs that are symbolic links, not taken (in `left` too). */
  links: string[];
  /** Files of {outdir} named like outputs whose names are not UTF-8, shown with U+FFFD, not taken (in `left` too). */
  notUtf8: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The marker's lines, each decoded as UTF-8 when it is: a code names its files with any bytes. */
function markerLines(content: Buffer): Array<{ line: string; isUtf8: boolean }> {
  const lines = [];
  for (let start = 0; start < content.length;) {
    const newline = content.indexOf(0x0a, start);
    const end = newline < 0 ? content.length : newline;
    const bytes = content.subarray(start, end);
    try {
      lines.push({ line: utf8.decode(bytes), isUtf8: true });
    } catch {
      lines.push({ line: bytes.toString('utf8'), isUtf8: false });
    }
    start = end + 1;
  }
  return lines;
}

export function parseExitMarker(content: string | Buffer, where: string): ExitMarker {
  const marker: ExitMarker = { rc: Number.NaN, outputsIn: 'outbox', csv: [], quicklooks: [], left: [], links: [], notUtf8: [] };
  for (const { line, isUtf8 } of markerLines(typeof content === 'string' ? Buffer.from(content) : content)) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'rc' && /^\d+$/.test(value)) marker.rc = Number(value);
    else if (key === 'v' && value === String(MARKER_VERSION)) marker.outputsIn = 'task';
    else if (key === 'csv' || key === 'quicklook' || key === 'link') {
      // A name the upload and the catalogue could not find again is no output.
      const refused = key === 'link' ? marker.links : isUtf8 ? null : marker.notUtf8;
      if (refused) refused.push(value);
      // A dot name, as the script of an earlier nocturne listed one: the upload never takes it.
      if (refused || value.startsWith('.')) marker.left.push(`out/${value}`);
      else (key === 'csv' ? marker.csv : marker.quicklooks).push(value);
    } else if (key === 'left') marker.left.push(value);
    else throw new NocturneError('INTERNAL', `${where}: unexpected line ${JSON.stringify(line)} in exit marker`);
  }
  if (Number.isNaN(marker.rc)) throw new NocturneError('INTERNAL', `${where}: exit marker has no rc= line`);
  return marker;
}

/** The task's exit marker, or null if it has not been written (yet). */
export async function readExitMarker(jobDir: string, index: number): Promise<ExitMarker | null> {
  const file = exitMarkerPath(jobDir, index);
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NocturneError('EXEC_FAILED', `cannot read exit marker ${file}: ${String(err)}`, { retryable: true, cause: err });
  }
  return parseExitMarker(content, file);
}
