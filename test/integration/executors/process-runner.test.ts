// The runner that calls sbatch, sacct and scancel, against real processes: a stop ends
// only once the command is gone, so a daemon that exits next leaves nothing behind.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecFileRunner } from '../../../src/executors/process-runner.js';
import { processAlive } from '../../../src/runs/holder.js';

describe('the process runner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nocturne-runner-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('settles a stop only once the hung command is gone, every time', async () => {
    const runner = createExecFileRunner();
    for (let i = 0; i < 10; i++) {
      const pidFile = path.join(dir, `pid-${i}`);
      const script = path.join(dir, `hang-${i}.sh`);
      // The pid is written before the hang: the stop comes while the command is surely running.
      await writeFile(script, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`, { mode: 0o755 });
      const controller = new AbortController();
      const running = runner.run(script, [], { signal: controller.signal });
      let pid = NaN;
      while (Number.isNaN(pid)) pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
      controller.abort(new Error('SIGTERM'));
      await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
      expect(processAlive(pid)).toBe(false);
    }
  });
});
