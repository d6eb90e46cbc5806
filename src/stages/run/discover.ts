import path from 'node:path';
import picomatch from 'picomatch';
import { escapePath, glob } from 'tinyglobby';
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

/**
 * The observations the glob finds for the run date and the nights before it. A file
 * found for two nights (a glob without date placeholders) belongs to the later one.
 */
export async function discoverObservations(pattern: string, date: string, lookbackDays: number): Promise<Observation[]> {
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
  return [...found.values()];
}
