/**
 * Where a case's CPU time went on this machine, for `npm run bench -- upload`: the whole
 * machine's (/proc/stat), this process's and its reaped children's, and PostgreSQL's
 * (its processes live on), read before and after the case. The rest is the file server,
 * the kernel and whatever else ran: the servers' sessions come and go, and a session's
 * time reaches its server's account only when reaped, if ever, so it is not told apart.
 * On 2 cores shared by all of them, a case's wall time is at least its total divided by
 * 2: the table shows what a plain tool does not pay. Linux only; a diagnostic.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** CPU seconds over one case. */
export interface CpuSplit {
  /** This process (our stage) and the children it ran and reaped (a plain tool). */
  client: number;
  postgres: number;
  /** The whole machine: the above, the file server, the kernel, everything else. */
  total: number;
}

/** USER_HZ: the unit of /proc's CPU times on Linux. */
const TICKS_PER_SECOND = 100;

interface Sample {
  busy: number;
  client: number;
  postgres: number;
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
  const own = times(await readFile('/proc/self/stat', 'utf8'));
  let postgres = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    // A process may end between the listing and the read.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const t = times(stat);
    if (t.comm === 'postgres') postgres += t.own + t.children;
  }
  return { busy, client: own.own + own.children, postgres };
}

/** Below this share of one core, the machine counts as quiet. */
const QUIET_CORES = 0.15;
const QUIET_WINDOW_MS = 300;
const QUIET_WAIT_MS = 15_000;

/**
 * Waits until the machine is quiet: what a case leaves behind (the server's sessions
 * ending, the kernel freeing a tmpfs's pages) would otherwise be counted in the next
 * case, and slow it. False when it did not quiet down within 15 s.
 */
export async function quiet(): Promise<boolean> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  let before = await machineBusy();
  while (Date.now() < deadline) {
    await sleep(QUIET_WINDOW_MS);
    const now = await machineBusy();
    if (now - before < (QUIET_CORES * QUIET_WINDOW_MS) / 1000) return true;
    before = now;
  }
  return false;
}

/** Runs `work` and says where the machine's CPU went meanwhile. */
export async function withCpuSplit<T>(work: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  const before = await sample();
  const result = await work();
  const after = await sample();
  return {
    result,
    cpu: { client: after.client - before.client, postgres: after.postgres - before.postgres, total: after.busy - before.busy },
  };
}
