/**
 * `npm run bench -- run [size] [--poll=2s] [--throttle=N] [--no-baseline]`: one night of
 * `size` tiny observations (default 1000) as job arrays on the rig's SLURM. Prints the
 * sacct calls per poll (must be 1), the sbatch calls, and the delay between the last
 * task's end and the stage's completion; then the same array through plain
 * `sbatch --wait`, and the ratio. Needs the rig (scripts/rig/up.sh).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createExecFileRunner, type ProcessRunner } from '../src/executors/process-runner.js';
import type { Executor } from '../src/executors/types.js';
import { rig, slurmEnv } from '../harness/rig.js';
import { createHarness, NIGHT } from '../harness/run-harness.js';

const execFileAsync = promisify(execFile);

// The fastest honest detection code: one CSV line per observation, no interpreter start-up.
const FAST_CODE = `#!/bin/bash
# usage: fast.sh <obs> <outdir>
printf 'ID_FEAT;OBS_ID\\n1;%s\\n' "$1" > "$2/bench_10_20261120T000000_$1_feat.csv"
`;

function option(args: string[], name: string, fallback: string): string {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

/** Counts calls per command, and the sacct calls of each poll. */
function watch(inner: ProcessRunner) {
  const counts = new Map<string, number>();
  const sacctPerPoll: number[] = [];
  const runner: ProcessRunner = {
    run(command, args, options) {
      const name = path.basename(command);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return inner.run(command, args, options);
    },
  };
  const decorate = (executor: Executor): Executor => {
    const poll = executor.poll.bind(executor);
    executor.poll = async (jobs) => {
      const before = counts.get('sacct') ?? 0;
      const result = await poll(jobs);
      sacctPerPoll.push((counts.get('sacct') ?? 0) - before);
      return result;
    };
    return executor;
  };
  return { runner, decorate, counts, sacctPerPoll };
}

/** When the last task ended: its exit marker is the last thing it writes. */
async function lastMarkerMs(workDir: string): Promise<number> {
  let last = 0;
  for (const job of await readdir(workDir)) {
    for (const file of await readdir(path.join(workDir, job))) {
      if (file.endsWith('.exit')) last = Math.max(last, (await stat(path.join(workDir, job, file))).mtimeMs);
    }
  }
  return last;
}

async function plainSbatch(dir: string, size: number, throttle: number): Promise<number> {
  const script = path.join(dir, 'plain.sh');
  const out = path.join(dir, 'plain-out');
  await mkdir(out, { recursive: true });
  await writeFile(script, `#!/bin/bash\n${path.join(dir, 'fast.sh')} "o$SLURM_ARRAY_TASK_ID" ${out}\n`, { mode: 0o755 });
  const started = Date.now();
  for (let first = 0; first < size; first += 1000) {
    const last = Math.min(size, first + 1000) - 1;
    const args = [
      '--wait',
      '--parsable',
      `--array=${first}-${last}%${throttle}`,
      '--time=5',
      '--mem=100M',
      `--output=${out}/%a.log`,
      script,
    ];
    await execFileAsync('sbatch', args, { env: slurmEnv() });
  }
  return Date.now() - started;
}

export async function bench(args: string[]): Promise<void> {
  const size = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const poll = option(args, 'poll', '2s');
  const throttle = Number(option(args, 'throttle', '64'));
  const h = await createHarness('bench_run', 'slurm', { pollInterval: poll, lostAfter: '5m' });
  try {
    const code = path.join(h.dir, 'fast.sh');
    await writeFile(code, FAST_CODE, { mode: 0o755 });
    for (let i = 0; i < size; i++) await h.writeObs('bench', NIGHT, `o${i}`, {});
    const pipeline = h.pipeline('bench', {
      command: [code, '{obs}', '{outdir}'],
      array: { throttle },
      slurm: { partition: rig().slurm.partition, time: '5', mem: '100M', cpus: 1 },
      retries: 0,
    });
    const w = watch(createExecFileRunner({ env: slurmEnv() }));

    process.stdout.write(`run bench: ${size} observations, array throttle ${throttle}, poll every ${poll}\n`);
    const started = Date.now();
    const outcome = await h.run(pipeline, { runner: w.runner, decorate: w.decorate });
    const ended = Date.now();
    const lastEnd = await lastMarkerMs(path.join(h.config.paths.work, 'run', 'bench'));
    const perPoll = [...new Set(w.sacctPerPoll)].join(', ');
    process.stdout.write(
      [
        `nocturne: ${outcome.ok ? 'ok' : 'FAILED'}: ${outcome.summary}`,
        `  wall time ${((ended - started) / 1000).toFixed(1)} s`,
        `  sacct calls per poll: ${perPoll} (${w.sacctPerPoll.length} polls); sbatch calls: ${w.counts.get('sbatch') ?? 0}`,
        `  last task end -> stage completion: ${((ended - lastEnd) / 1000).toFixed(2)} s`,
      ].join('\n') + '\n',
    );
    if (!args.includes('--no-baseline')) {
      const plainMs = await plainSbatch(h.dir, size, throttle);
      const ratio = ((ended - started) / plainMs).toFixed(2);
      process.stdout.write(`plain sbatch --wait of the same array: ${(plainMs / 1000).toFixed(1)} s; nocturne / plain = ${ratio}\n`);
    }
  } finally {
    await h.close();
  }
}
