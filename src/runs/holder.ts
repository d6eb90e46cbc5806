import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

let cached: string | null | undefined;

/**
 * This process's namespace of pids: the machine's boot and the pid namespace. Two
 * processes with the same namespace see the same pids, so one can tell for sure that the
 * other has ended; a host name cannot (containers sharing it, a name set in several
 * hosts' configuration). Null where /proc does not say (the lease then decides).
 */
export function pidNamespace(): string | null {
  if (cached === undefined) {
    try {
      cached = `${bootIdentity()}/${readlinkSync('/proc/self/ns/pid')}`;
    } catch {
      cached = null;
    }
  }
  return cached;
}

/**
 * The kernel's boot id. Under systemd's ProcSubset=pid (the unit's), which hides it: the
 * machine's id (/etc/machine-id, distinct per machine, where every host's first pid
 * namespace has the same inode) and its boot time to the minute, from the clock since
 * boot. Two processes of one boot that read it either side of a minute only wait for the
 * lease; two boots of one machine within one minute would share one, which is harmless:
 * the process of the first ended with it. Throws where neither can be read.
 */
function bootIdentity(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    const machine = readFileSync('/etc/machine-id', 'utf8').trim();
    if (!/^[0-9a-f]{32}$/.test(machine)) throw new Error(`/etc/machine-id holds no machine id`);
    return `${machine}-booted-${Math.round((Date.now() / 1000 - os.uptime()) / 60)}`;
  }
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
