/**
 * nocturne started without SLURM_CONF (a systemd unit that does not set it): sbatch finds
 * no configuration. That is this host's setting, as retryable as a controller out of
 * reach, and the message says how to fix it, not to check the pipeline's run.slurm.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashQuote } from '../../../src/executors/wrapper-script.js';
import { createHarness, NIGHT, observationStates, type Harness } from '../../../harness/run-harness.js';

describe('run stage on SLURM: a SLURM client without configuration', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('client-config', 'slurm');
  });
  afterAll(async () => h?.close());

  it('says SLURM_CONF is missing, keeps the observations pending and is retryable', async () => {
    const P = 'noconf';
    const real = (await promisify(execFile)('bash', ['-c', 'command -v sbatch'])).stdout.trim();
    const sbatch = path.join(h.dir, 'sbatch');
    await writeFile(sbatch, `#!/bin/bash\nexec env -u SLURM_CONF ${bashQuote(real)} "$@"\n`, { mode: 0o755 });
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
});
