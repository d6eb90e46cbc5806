// Smoke test of the rig's SLURM: a job runs and sacct (slurmdbd) reports it.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rig, slurmEnv } from '../../../harness/rig.js';

const execFileAsync = promisify(execFile);

async function run(cmd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync(cmd, args, { env: slurmEnv(), timeout: 20_000 });
  return stdout;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE']);

describe('rig: SLURM', () => {
  const r = rig();

  it('the partition is up with several CPUs', async () => {
    const out = (await run('sinfo', ['-h', '-p', r.slurm.partition, '-o', '%a %c %t'])).trim();
    const [avail, cpus, state] = out.split(/\s+/);
    expect(avail).toBe('up');
    expect(Number(cpus)).toBeGreaterThanOrEqual(4);
    expect(state).toMatch(/^(idle|mix|alloc)$/);
  });

  it('sbatch --wrap runs to COMPLETED according to sacct', async () => {
    const marker = `rig-smoke-${randomUUID()}`;
    const outPattern = join(r.slurm.outDir, 'rig-smoke-%j.out');
    const submitted = await run('sbatch', [
      '--parsable',
      '-p',
      r.slurm.partition,
      '-J',
      'rig-smoke',
      '-o',
      outPattern,
      '--chdir',
      r.slurm.outDir,
      '--wrap',
      `echo ${marker}`,
    ]);
    const id = submitted.trim().split(';')[0] ?? '';
    expect(id).toMatch(/^\d+$/);

    // sacct prints nothing right after sbatch and lags slurmdbd slightly:
    // poll until a terminal state (the first job after a slurmctld start
    // waits ~3 s before it is scheduled).
    let state = '';
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      state = (await run('sacct', ['-X', '-n', '-P', '-j', id, '-o', 'State'])).trim();
      if (TERMINAL.has(state.split(' ')[0] ?? '')) break;
      await sleep(200);
    }
    expect(state).toBe('COMPLETED');
    const outFile = outPattern.replace('%j', id);
    expect(readFileSync(outFile, 'utf8')).toContain(marker);
    rmSync(outFile, { force: true });
  });
});
