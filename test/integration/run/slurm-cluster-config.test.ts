/**
 * What the run stage needs of the cluster's configuration: the SLURM client's own (nocturne
 * started without SLURM_CONF), and the size of a job array the cluster accepts.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashQuote } from '../../../src/executors/wrapper-script.js';
import { createHarness, NIGHT, observationStates, type Harness } from '../../../harness/run-harness.js';

describe('run stage on SLURM: the cluster configuration', () => {
  let h: Harness;
  /** A stand-in for a SLURM client in the harness directory: `body` runs, with $real the real client. */
  const client = async (name: string, body: string) => {
    const real = (await promisify(execFile)('bash', ['-c', `command -v ${name}`])).stdout.trim();
    const file = path.join(h.dir, name);
    await writeFile(file, `#!/bin/bash\nreal=${bashQuote(real)}\n${body}\n`, { mode: 0o755 });
    return file;
  };
  beforeAll(async () => {
    h = await createHarness('cluster-config', 'slurm');
  });
  afterAll(async () => h?.close());

  it('says SLURM_CONF is missing when sbatch finds no configuration, keeps the observations pending and is retryable', async () => {
    const P = 'noconf';
    const sbatch = await client('sbatch', 'exec env -u SLURM_CONF "$real" "$@"');
    await h.writeObs(P, NIGHT, 'waits', {});

    const outcome = await h.run(h.pipeline(P), { commands: { sbatch } });
    expect(outcome).toMatchObject({ ok: false, stats: { failed: 0, interrupted: 1 } });
    expect(outcome.error).toMatchObject({ code: 'SLURM_SUBMIT_FAILED', retryable: true });
    expect(outcome.error?.message).toContain(
      "not submitted: the SLURM client has no configuration: set SLURM_CONF to the cluster's slurm.conf in nocturne's environment (its systemd unit) (exit 1: ",
    );
    expect(outcome.error?.message).toContain('Could not establish a configuration source');
    expect(outcome.error?.message).not.toContain('check run.slurm');
    expect(await observationStates(h.t, P)).toEqual({ waits: 'pending' });
  });

  it("cuts a night's job array to the cluster's MaxArraySize", async () => {
    const P = 'smallarrays';
    // The cluster as one whose MaxArraySize is 2 (task ids 0..1), read as nocturne reads it.
    const scontrol = await client(
      'scontrol',
      'if [[ "$*" == "show config" ]]; then "$real" show config | sed "s/^MaxArraySize .*/MaxArraySize            = 2/"; else exec "$real" "$@"; fi',
    );
    for (const obs of ['a', 'b', 'c']) await h.writeObs(P, NIGHT, obs, {});

    const outcome = await h.run(h.pipeline(P, { array: { throttle: 4 } }), { commands: { scontrol } });
    expect(outcome).toMatchObject({ ok: true, stats: { jobs: 2, completed: 3 } });
    const jobs = await h.t.db.any<{ n: number }>(
      'SELECT (SELECT count(*)::int FROM job_tasks t WHERE t.job = j.id) AS n FROM jobs j WHERE pipeline = $1 ORDER BY id',
      [P],
    );
    expect(jobs.map((j) => j.n)).toEqual([2, 1]);
  });
});
