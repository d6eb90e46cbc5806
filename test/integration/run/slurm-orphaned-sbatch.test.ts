/**
 * An sbatch that outlives the nocturne that started it (killed with -9 while sbatch waited
 * on a busy controller): once the job's LOST delay has passed, the next run declares it
 * LOST and submits its observation again. The orphan must not submit it a second time.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashQuote } from '../../../src/executors/wrapper-script.js';
import { createHarness, eventually, NIGHT, observationStates, slurm, tasksOf, type Harness } from '../../../harness/run-harness.js';

const execFileAsync = promisify(execFile);

/** Whether the process runs still (a zombie, which can do nothing more, counts as gone). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && !/^\d+ \(.*\) Z /.test(stat);
}

/**
 * An sbatch that writes its pid, then holds the submission until `go` exists, as a real
 * sbatch retries while the controller is busy; then the real sbatch, in the same process.
 */
async function slowSbatch(dir: string): Promise<{ sbatch: string; pidFile: string; go: string }> {
  const bin = path.join(dir, 'slow-sbatch');
  await mkdir(bin, { recursive: true });
  const [real, sleep] = await Promise.all(
    ['sbatch', 'sleep'].map(async (c) => (await execFileAsync('bash', ['-c', `command -v ${c}`])).stdout.trim()),
  );
  const [sbatch, pidFile, go] = ['sbatch', 'pid', 'go'].map((f) => path.join(bin, f)) as [string, string, string];
  await writeFile(
    sbatch,
    `#!/bin/bash\necho $$ > ${bashQuote(pidFile)}\nuntil [[ -e ${bashQuote(go)} ]]; do ${bashQuote(sleep!)} 0.1; done\nexec ${bashQuote(real!)} "$@"\n`,
    { mode: 0o755 },
  );
  return { sbatch, pidFile, go };
}

describe('run stage on SLURM: an sbatch orphaned by a kill', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('orphan', 'slurm', { lostAfter: '3s' });
  });
  afterAll(async () => h?.close());

  it('stops the orphaned sbatch and cancels its job by name before declaring it LOST: SLURM runs the observation once', async () => {
    const P = 'orphan';
    const pipeline = h.pipeline(P);
    await h.writeObs(P, NIGHT, 'once', { seed: 12, features: 1 });
    const { sbatch, pidFile, go } = await slowSbatch(h.dir);
    const child = await h.spawn(pipeline, { commands: { sbatch } });
    const exited = once(child, 'exit');
    const pid = Number(await eventually(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim(), 'sbatch to start'));
    child.kill('SIGKILL');
    await exited;
    const { name: orphaned } = await h.t.db.one<{ name: string }>('SELECT name FROM jobs WHERE pipeline = $1', [P]);
    try {
      expect(await running(pid)).toBe(true);

      // The LOST delay (3 s) runs from the job row's creation: this run declares it LOST, and submits again.
      const outcome = await h.run(pipeline);
      expect(outcome).toMatchObject({ ok: true, stats: { jobs: 1, lost: 1, completed: 1, failed: 0 } });
      // Lost before it ever ran: not held against the observation, whose next attempt is still the first.
      expect((await tasksOf(h.t, P)).map((t) => `${t.attempt} ${t.state}`).sort()).toEqual(['1 completed', '1 lost']);
      expect(await observationStates(h.t, P)).toEqual({ once: 'done' });

      // The controller is free again: an orphan still there would submit the job now, and exit.
      await writeFile(go, '');
      await eventually(async () => !(await running(pid)), 'the orphaned sbatch to end');
      expect(await slurm('squeue', ['-h', '--states=all', `--name=${orphaned}`, '-o', '%i %T'])).toBe('');
      expect(await slurm('sacct', ['-X', '-n', '-P', `--name=${orphaned}`, '--starttime=now-1hour', '-o', 'JobID,State'])).toBe('');
    } finally {
      if (await running(pid)) process.kill(pid, 'SIGKILL');
      await slurm('scancel', [`--name=${orphaned}`]);
    }
  });
});
