import { readFileSync, readlinkSync } from 'node:fs';

let cached: string | null | undefined;

/**
 * This process's namespace of pids: the machine's boot id and the pid namespace. Two
 * processes with the same namespace see the same pids, so one can tell for sure that the
 * other has ended; a host name cannot (containers sharing it, a name set in several
 * hosts' configuration). Null where /proc does not say (the lease then decides).
 */
export function pidNamespace(): string | null {
  if (cached === undefined) {
    try {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      cached = `${boot}/${readlinkSync('/proc/self/ns/pid')}`;
    } catch {
      cached = null;
    }
  }
  return cached;
}

/** Whether process `pid` of this namespace exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
