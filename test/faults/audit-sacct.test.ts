// The night's SLURM check (auditSacct) against the rig's real sacct, with two nights on
// the same SLURM at once, as when two worktrees run the fault suite together: a job of
// this night that its jobs table does not know is a violation; a job of the other night
// (same pipelines, same code) is not this night's business.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slurmEnv } from '../../harness/rig.js';
import { auditSacct, nightJobsInSacct } from './audit.js';
import { createWorld, type World } from './world.js';

const execFileAsync = promisify(execFile);
const SACCT_DEADLINE_MS = 30_000;

interface Submitted {
  world: World;
  name: string;
  id: string;
}

/** A real job of a second's work, named as nocturne names a job of the pipeline: noc-<pipeline>-<token>. */
async function submit(world: World, pipeline: number): Promise<Submitted> {
  const name = `noc-${world.pipelines[pipeline]!.name}-${randomBytes(5).toString('hex')}`;
  const args = [
    '--parsable',
    `--job-name=${name}`,
    `--partition=${world.rig.slurm.partition}`,
    '--time=1',
    '--mem=10M',
    '--output=/dev/null',
    '--wrap=true',
  ];
  const { stdout } = await execFileAsync('sbatch', args, { env: slurmEnv(), timeout: 30_000 });
  return { world, name, id: stdout.trim().split(';')[0]! };
}

/**
 * Waits until accounting lists each job under its name in its night's window, as the
 * audit reads it: slurmdbd records a job a little after sbatch returns, and for a moment
 * may hold it under the name "allocation".
 */
async function accounted(jobs: readonly Submitted[]): Promise<void> {
  const deadline = Date.now() + SACCT_DEADLINE_MS;
  for (;;) {
    const listed = await Promise.all(jobs.map(async (j) => (await nightJobsInSacct(j.world)).get(j.name)?.has(j.id) === true));
    if (listed.every(Boolean)) return;
    if (Date.now() > deadline) {
      throw new Error(`sacct did not list jobs ${jobs.map((j) => j.id).join(', ')} within ${SACCT_DEADLINE_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('fault audit: the SLURM jobs of this night', () => {
  let night: World;
  let beside: World;
  beforeAll(async () => {
    night = await createWorld();
    beside = await createWorld();
  });
  afterAll(async () => {
    await night?.close();
    await beside?.close();
  });

  it('flags a job of this night unknown to its jobs table, and no job of a night running beside it', async () => {
    const known = await submit(night, 0);
    const unknown = await submit(night, 2);
    const other = await submit(beside, 2);
    await accounted([known, unknown, other]);
    const violations: string[] = [];
    await auditSacct(night, new Map([[known.name, known.id]]), violations);
    expect(violations).toEqual([`sacct: job ${unknown.name} (${unknown.id}) is unknown to the jobs table`]);
  });
});
