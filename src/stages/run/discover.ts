import { lstat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { escapePath, glob } from 'tinyglobby';
import { firstSighting } from '../../log/first-sighting.js';
import type { Logger } from '../../log/logger.js';
import { isNight } from '../nights.js';

/** One input file of a pipeline. */
export interface Observation {
  /** Absolute path. */
  input: string;
  /** File name without extension: {obs}. */
  obs: string;
  /** YYYY-MM-DD of the night whose glob found it: {date}. */
  night: string;
}

/** The run date and the `lookbackDays` nights before it, oldest first. */
export function nightsToScan(date: string, lookbackDays: number): string[] {
  // Checked, not parsed only: Date.parse would take 2026-11-31 as 2026-12-01, another night.
  if (!isNight(date)) throw new Error(`not a date: ${JSON.stringify(date)}`);
  const base = Date.parse(`${date}T00:00:00Z`);
  const nights: string[] = [];
  for (let back = lookbackDays; back >= 0; back--) {
    nights.push(new Date(base - back * 86_400_000).toISOString().slice(0, 10));
  }
  return nights;
}

/** `/data/{yyyy}/{mm}/{dd}/*.fits` for 2024-01-02 → `/data/2024/01/02/*.fits`. */
export function globForNight(pattern: string, night: string): string {
  const [yyyy = '', mm = '', dd = ''] = night.split('-');
  return pattern.replaceAll('{yyyy}', yyyy).replaceAll('{mm}', mm).replaceAll('{dd}', dd);
}

export function obsId(input: string): string {
  const base = path.basename(input);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** An input found and not run: its name cannot go through the run, the upload and the catalogue. */
export interface RefusedInput {
  input: string;
  /** Why, and what to do: "its name holds a control character (...): rename it". */
  reason: string;
}

export interface Discovery {
  observations: Observation[];
  refused: RefusedInput[];
}

/**
 * Why an input's name is refused, or null. A control character (a newline) breaks the
 * lists its task's outputs are named in; a name that is not UTF-8 reaches nocturne with
 * U+FFFD in place of its bytes, a path that does not exist (unless a file of that very name does).
 */
async function refusal(input: string): Promise<string | null> {
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  if (/[\u0000-\u001f\u007f]/.test(input)) return 'its name holds a control character';
  if (!input.includes('\uFFFD')) return null;
  const present = await lstat(input).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
  return present ? null : 'its name is not valid UTF-8 (� stands for its other bytes)';
}

/**
 * The observations the glob finds for the run date and the nights before it, and the
 * inputs refused by name. A file found for two nights (a glob without date placeholders)
 * belongs to the later one.
 */
export async function discoverObservations(pattern: string, date: string, lookbackDays: number): Promise<Discovery> {
  const found = new Map<string, Observation>();
  const patterns = new Map<string, string>();
  for (const night of nightsToScan(date, lookbackDays)) patterns.set(globForNight(pattern, night), night);
  for (const [nightPattern, night] of patterns) {
    // Glob relative to the static part of the pattern: its directories may hold any character.
    const scanned = picomatch.scan(nightPattern);
    const [cwd, rest] =
      scanned.glob === '' ? [path.dirname(nightPattern), escapePath(path.basename(nightPattern))] : [scanned.base, scanned.glob];
    const files = await glob([rest], { cwd, absolute: true, onlyFiles: true });
    for (const input of files.sort()) found.set(input, { input, obs: obsId(input), night });
  }
  const discovery: Discovery = { observations: [], refused: [] };
  for (const o of found.values()) {
    const reason = await refusal(o.input);
    if (reason === null) discovery.observations.push(o);
    else discovery.refused.push({ input: o.input, reason: `${reason}: not run; rename the file` });
  }
  return discovery;
}

/** Logs each refused input once per process (each run counts them): a person renames it. */
export function logRefused(logger: Logger, pipeline: string, refused: readonly RefusedInput[]): void {
  for (const { input, reason } of refused) {
    if (firstSighting(`${pipeline}/run`, input)) logger.error({ input }, `${pipeline}: input ${JSON.stringify(input)}: ${reason}`);
  }
}
