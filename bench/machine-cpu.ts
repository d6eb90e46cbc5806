/**
 * Where a case's CPU time went on this machine, for `npm run bench -- upload`: the CPU
 * times of every process, read from /proc before and after the case, grouped by who
 * spent them. On 2 cores shared by the client, the server and PostgreSQL, a case's wall
 * time is bounded below by all of it divided by 2: the table shows what a plain tool
 * does not pay. Linux only; a diagnostic, not code the daemon runs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** CPU seconds by group, over one case. */
export interface CpuSplit {
  /** This process (our stage) and the children it ran and reaped (a plain tool). */
  client: number;
  /** The file servers (vsftpd, proftpd, sshd), their finished sessions included. */
  server: number;
  postgres: number;
  /** The whole machine (/proc/stat): the groups above, the kernel's own threads, everything else. */
  total: number;
}

type Group = 'client' | 'server' | 'postgres';

const SERVERS = new Set(['vsftpd', 'proftpd', 'sshd']);
/** USER_HZ: the unit of /proc's CPU times on Linux. */
const TICKS_PER_SECOND = 100;
/** A session that ended with the case is reaped by its server within this: then its time counts in the server's. */
const SETTLE_MS = 200;

interface Sample {
  busy: number;
  groups: Record<Group, number>;
}

/** CPU seconds the whole machine spent busy since boot (all cores). */
async function machineBusy(): Promise<number> {
  // cpu  user nice system idle iowait irq softirq steal ...
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
  const busy = [1, 2, 3, 6, 7, 8].reduce((sum, i) => sum + (fields[i] ?? 0), 0);
  return busy / TICKS_PER_SECOND;
}

/** A process's own CPU seconds, and its reaped children's. */
function times(stat: string): { comm: string; own: number; children: number } {
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  // From the state (field 3) on: utime, stime, cutime and cstime are fields 14 to 17.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return { comm, own: (fields[11]! + fields[12]!) / TICKS_PER_SECOND, children: (fields[13]! + fields[14]!) / TICKS_PER_SECOND };
}

async function sample(): Promise<Sample> {
  const busy = await machineBusy();
  const groups: Record<Group, number> = { client: 0, server: 0, postgres: 0 };
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    // A process may end between the listing and the read: it is counted in its parent's children.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const t = times(stat);
    if (Number(pid) === process.pid) groups.client += t.own + t.children;
    else if (SERVERS.has(t.comm)) groups.server += t.own + t.children;
    else if (t.comm === 'postgres') groups.postgres += t.own + t.children;
  }
  return { busy, groups };
}

/** Runs `work` and says where the machine's CPU went meanwhile. */
export async function withCpuSplit<T>(work: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  const before = await sample();
  const result = await work();
  const busy = await machineBusy();
  await sleep(SETTLE_MS);
  const after = await sample();
  const spent = (group: Group) => after.groups[group] - before.groups[group];
  return { result, cpu: { client: spent('client'), server: spent('server'), postgres: spent('postgres'), total: busy - before.busy } };
}
