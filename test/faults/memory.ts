/**
 * The daemon's memory over the night, against the limits of its systemd unit
 * (docs/operating.md, "Memory"): the inflated quicklooks of the night would cost hundreds
 * of MB each if the upload stage decoded them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const UNIT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../systemd/nocturne.service');
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * The peak resident set of a live process so far, in bytes (the kernel's VmHWM), or null
 * once it is gone: read just before the process is killed, it is that process's peak.
 */
export function peakRssBytes(pid: number): number | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

/** A memory setting of the unit (`MemoryHigh`, `MemoryMax`), in bytes. */
export function unitMemoryLimit(setting: 'MemoryHigh' | 'MemoryMax'): number {
  const m = new RegExp(`^${setting}=(\\d+)([KMGT]?)$`, 'm').exec(readFileSync(UNIT, 'utf8'));
  if (!m) throw new Error(`${UNIT} sets no ${setting}=<bytes>[K|M|G|T]`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
