/**
 * Teardown: the night's SLURM jobs that are still pending or running are cancelled, so
 * that a failed night cannot hold the single node (and block the next run of the suite).
 * The jobs table names them; squeue gives their ids, including those of jobs whose
 * submission the daemon never confirmed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { slurmEnv } from '../../harness/rig.js';
import type { World } from './world.js';

const execFileAsync = promisify(execFile);

/** Cancels the night's jobs SLURM still holds; returns their ids. */
export async function cancelNightJobs(world: World): Promise<string[]> {
  const names = new Set((await world.t.db.any<{ name: string }>('SELECT name FROM jobs')).map((j) => j.name));
  // %F: the array's job id (a plain job's own id), which scancel takes for the whole array.
  const { stdout } = await execFileAsync('squeue', ['-h', '-o', '%F|%j'], { env: slurmEnv(), timeout: 30_000 });
  const ids = new Set<string>();
  for (const line of stdout.split('\n')) {
    const [id = '', name = ''] = line.split('|');
    if (id && names.has(name)) ids.add(id);
  }
  if (ids.size > 0) await execFileAsync('scancel', [...ids], { env: slurmEnv(), timeout: 30_000 });
  return [...ids];
}
