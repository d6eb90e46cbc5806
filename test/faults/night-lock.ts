/**
 * One fault night at a time on the rig. A night restarts the shared PostgreSQL, vsftpd and
 * sshd and drains the SLURM node; its verdict excuses what its own outages cause (a start
 * refused while PostgreSQL is down) and needs its drained window to last. Another night's
 * outages, unknown to it, would be read as the daemon's faults.
 *
 * The lock is flock(1) on a file of the rig directory, held by a child process for as long
 * as its stdin stays open: released when the night ends, or when this process dies, however.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** How often to say that the night is waiting for another. */
const WAITING_NOTICE_MS = 30_000;

export interface NightLock {
  release(): Promise<void>;
}

export async function lockNight(rigDir: string, waitMs: number): Promise<NightLock> {
  const file = path.join(rigDir, 'faults.lock');
  const holder = spawn('flock', ['-w', String(Math.ceil(waitMs / 1000)), file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => holder.once('exit', (code) => resolve(code)));
  const notice = setInterval(() => {
    void readFile(file, 'utf8').then(
      (who) => console.log(`[faults] waiting for the fault night holding ${file}: ${who.trim() || 'unknown'}`),
      () => undefined,
    );
  }, WAITING_NOTICE_MS);
  try {
    const locked = await new Promise<boolean>((resolve, reject) => {
      holder.once('error', reject);
      holder.stdout.once('data', () => resolve(true));
      void exited.then(() => resolve(false));
    });
    if (!locked) throw new Error(`another fault night held ${file} for more than ${waitMs / 1000} s`);
  } finally {
    clearInterval(notice);
  }
  await writeFile(file, `pid ${process.pid} in ${process.cwd()} since ${new Date().toISOString()}\n`);
  return {
    async release() {
      holder.stdin.end();
      await exited;
    },
  };
}
