import type { Stats } from 'node:fs';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

/** Files removed (or that would be) and their size. */
export interface FileCounts {
  files: number;
  bytes: number;
}

export interface FileSweep {
  /** Directories swept; one that does not exist is skipped. */
  roots: readonly string[];
  /** Entries at this depth below a root are judged (0: the root's own entries; Infinity: every file, at any depth). */
  depth: number;
  /** Entries last touched before this (ms since the epoch) go. */
  cutoffMs: number;
  /** Entries kept whatever their age (a live job's directory, a thumbnail not yet uploaded). */
  keep?: (entry: string) => boolean;
  dryRun: boolean;
  /** Checked between entries: a stopping daemon stops at the next one. */
  signal?: AbortSignal;
}

/**
 * Removes the old entries of some directories: files, or whole directories when they are
 * the unit (a job directory). "Old" is by the last time the entry was touched: its
 * modification or its status change, whichever is later, so a file moved into quarantine
 * last week is a week old, whatever its content's age. Symbolic links are never followed
 * (a link is judged and removed as itself). Directories left empty below a root go too.
 */
export async function sweepFiles(sweep: FileSweep): Promise<FileCounts> {
  const counts: FileCounts = { files: 0, bytes: 0 };
  for (const root of sweep.roots) await visit(root, 0, sweep, counts);
  return counts;
}

async function visit(dir: string, level: number, sweep: FileSweep, counts: FileCounts): Promise<void> {
  const names = await listDir(dir);
  for (const name of names) {
    if (sweep.signal?.aborted) return;
    const entry = path.join(dir, name);
    const info = await lstatOrNull(entry);
    if (info === null) continue;
    if (info.isDirectory() && level < sweep.depth) {
      await visit(entry, level + 1, sweep, counts);
      // Judged by its age before this sweep emptied it.
      if (!sweep.dryRun && touchedMs(info) < sweep.cutoffMs && (await listDir(entry)).length === 0) {
        await rmdir(entry).catch(ignoreNotEmpty);
      }
      continue;
    }
    if (level < sweep.depth && sweep.depth !== Infinity) continue; // a file above the level judged: not one of ours
    if (touchedMs(info) >= sweep.cutoffMs || sweep.keep?.(entry)) continue;
    const size = info.isDirectory() ? await treeSize(entry) : { files: 1, bytes: info.size };
    if (!sweep.dryRun) await rm(entry, { recursive: true, force: true });
    counts.files += size.files;
    counts.bytes += size.bytes;
  }
}

function touchedMs(info: Stats): number {
  return Math.max(info.mtimeMs, info.ctimeMs);
}

async function treeSize(dir: string): Promise<FileCounts> {
  const total: FileCounts = { files: 0, bytes: 0 };
  for (const name of await listDir(dir)) {
    const info = await lstatOrNull(path.join(dir, name));
    if (info === null) continue;
    if (info.isDirectory()) {
      const sub = await treeSize(path.join(dir, name));
      total.files += sub.files;
      total.bytes += sub.bytes;
    } else {
      total.files += 1;
      total.bytes += info.size;
    }
  }
  return total;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

/** The entry's own status (a link is not followed), or null when there is none. */
export async function lstatOrNull(entry: string): Promise<Stats | null> {
  try {
    return await lstat(entry);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** A directory that got a new entry meanwhile stays: something is using it. */
function ignoreNotEmpty(err: unknown): void {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw err;
}
