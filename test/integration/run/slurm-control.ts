/**
 * Disturbing the rig's SLURM as its operators do: stopping one daemon, draining or
 * downing the node, switching memory enforcement. Every test that uses these restores the
 * cluster with `restoreSlurm()` in an afterEach/afterAll, even when it fails.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseEnvFile, rigDir, startService } from '../../../harness/rig.js';
import { REPO, slurm } from '../../../harness/run-harness.js';

const execFileAsync = promisify(execFile);

type Daemon = 'slurmctld' | 'slurmdbd';

function pidFile(daemon: Daemon): string {
  const key = daemon === 'slurmctld' ? 'NOCTURNE_RIG_SLURMCTLD_PIDFILE' : 'NOCTURNE_RIG_SLURMDBD_PIDFILE';
  const file = process.env[key] ?? parseEnvFile(readFileSync(path.join(rigDir(), 'env'), 'utf8')).get(key);
  if (!file) throw new Error(`test rig: ${key} is not set: run bash scripts/rig/up.sh`);
  return file;
}

/** Alive and not a zombie (PID 1 here reaps lazily). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Stops one SLURM daemon of the rig (SIGTERM, by its PID file) and waits until it is gone. */
export async function stopSlurmDaemon(daemon: Daemon): Promise<void> {
  const pid = Number(readFileSync(pidFile(daemon), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`${daemon} (pid ${pid}) did not stop within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts what is down, resumes a drained or down node, and waits until it takes jobs and sacct answers. */
export function restoreSlurm(): Promise<void> {
  return startService('slurm');
}

/** Puts the node in a state, as `scontrol update nodename=... state=...` does. */
export async function setNodeState(node: string, state: 'drain' | 'down' | 'resume', reason = 'nocturne run-stage test'): Promise<void> {
  await slurm('scontrol', ['update', `nodename=${node}`, `state=${state}`, ...(state === 'resume' ? [] : [`reason=${reason}`])]);
}

/**
 * Restarts the rig's SLURM with memory enforced by cgroups (OUT_OF_MEMORY) or by job
 * accounting (the rig's default, FAILED 0:9): scripts/rig/slurm.sh NOCTURNE_RIG_SLURM_MEMORY.
 */
export async function setMemoryEnforcement(mode: 'cgroup' | 'accounting'): Promise<void> {
  await execFileAsync('bash', [path.join(REPO, 'scripts/rig/up.sh'), 'slurm'], {
    env: { ...process.env, NOCTURNE_RIG_DIR: rigDir(), NOCTURNE_RIG_SLURM_MEMORY: mode },
    timeout: 120_000,
  });
}
