import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { ExitMarker } from '../../executors/job-files.js';

/** What the outputs a code left in {outdir} are worth, before anything is published. */
export type OutputCheck =
  /** Whole: the files to publish, quicklooks first (a CSV never precedes its quicklooks). */
  | { kind: 'ok'; files: string[] }
  /** Listed in the exit marker but not (yet) visible here: a shared filesystem may lag. */
  | { kind: 'missing'; names: string[] }
  | { kind: 'bad'; reason: string };

const BLANK = new Set([0x20, 0x09, 0x0d, 0x0b, 0x0c]);

/**
 * Whether a CSV holds a line after its header (blank lines do not count). Read in
 * chunks, up to the first character of its first row: a file of one huge line (no
 * newline) costs a chunk of memory, not its size.
 */
async function hasRow(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.alloc(65_536);
    let headerRead = false;
    let filled = false; // the current line has a non-blank character
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length);
      if (bytesRead === 0) return false;
      for (const byte of chunk.subarray(0, bytesRead)) {
        if (byte === 0x0a) {
          headerRead ||= filled;
          filled = false;
        } else if (!BLANK.has(byte)) {
          if (headerRead) return true;
          filled = true;
        }
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * Checks the outputs of a code that exited 0: each listed file is a regular file in
 * `outDir`, named in UTF-8, none is empty, and the CSVs named by `rowsRequired` (an HFC `_init.csv`)
 * hold a row under their header. A `_feat.csv` with only its header is a night without
 * features, which is fine.
 */
export async function checkOutputs(outDir: string, marker: ExitMarker, rowsRequired: readonly string[]): Promise<OutputCheck> {
  const [notUtf8] = marker.notUtf8;
  if (notUtf8 !== undefined) {
    return {
      kind: 'bad',
      reason: `the detection code wrote an output named ${notUtf8}, a name that is not UTF-8 (� stands for its other bytes): not taken; the code must name its outputs in UTF-8`,
    };
  }
  const files = [...marker.quicklooks, ...marker.csv];
  const missing: string[] = [];
  const needsRows = picomatch([...rowsRequired]);
  for (const name of files) {
    const file = path.join(outDir, name);
    const info = await lstat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (info === null) {
      missing.push(name);
      continue;
    }
    if (info.size === 0) return { kind: 'bad', reason: `the detection code wrote an empty file ${name} (0 bytes)` };
    if (marker.csv.includes(name) && needsRows(name) && !(await hasRow(file))) {
      return { kind: 'bad', reason: `the detection code wrote ${name} with a header and no rows` };
    }
  }
  return missing.length > 0 ? { kind: 'missing', names: missing } : { kind: 'ok', files };
}
