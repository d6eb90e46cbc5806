/**
 * `npm run bench -- run [size] [--poll=2s] [--throttle=N] [--no-baseline]`: one night of
 * `size` tiny observations (default 1000) as job arrays on the rig's SLURM. Prints the
 * sacct calls per poll (must be 1), the sbatch calls, and the delay between the last
 * task's end and the stage's completion; then the same array through plain
 * `sbatch --wait` for comparison. Needs the rig (scripts/rig/up.sh).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { systemClock } from '../src/core/clock.js';
import { daemonConfigSchema, pipelineSchema } from '../src/config/schema.js';
import type { NocturneConfig } from '../src/config/types.js';
import { createExecutor } from '../src/executors/create-executor.js';
import { createExecFileRunner, type ProcessRunner } from '../src/executors/process-runner.js';
import { createLogger } from '../src/log/logger.js';
import { createRunStage } from '../src/stages/run/index.js';
import { createTestDb } from '../test/helpers/db.js';
import { rig, slurmEnv } from '../test/helpers/rig.js';

const execFileAsync = promisify(execFile);
const NIGHT = '2026-11-20';

// The fastest honest detection code: one CSV line per observation, no interpreter start-up.
const FAST_CODE = `#!/bin/bash
# usage: fast.sh <obs> <outdir>
printf 'ID_FEAT;OBS_ID\\n1;%s\\n' "$1" > "$2/bench_10_20261120T000000_$1_feat.csv"
`;

function option(args: string[], name: string, fallback: string): string {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}

/** Counts calls per command, so that a poll's sacct calls can be checked. */
function countingRunner(inner: ProcessRunner, counts: Map<string, number>): ProcessRunner {
  return {
    run(command, args, options) {
      const name = path.basename(command);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return inner.run(command, args, options);
    },
  };
}

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
    await execFileAsync(
      'sbatch',
      ['--wait', '--parsable', `--array=${first}-${last}%${throttle}`, '--time=5', '--mem=100M', `--output=${out}/%a.log`, script],
      { env: slurmEnv() },
    );
  }
  return Date.now() - started;
}

export async function bench(args: string[]): Promise<void> {
  const size = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const poll = option(args, 'poll', '2s');
  const throttle = Number(option(args, 'throttle', '64'));
  const dir = await mkdtemp(path.join(tmpdir(), 'noc-bench-run-'));
  const t = await createTestDb('bench_run');
  try {
    await writeFile(path.join(dir, 'fast.sh'), FAST_CODE, { mode: 0o755 });
    const obsDir = path.join(dir, 'obs', '2026', '11', '20');
    await mkdir(obsDir, { recursive: true });
    for (let i = 0; i < size; i++) await writeFile(path.join(obsDir, `o${i}.obs`), '');

    const pipeline = pipelineSchema.parse({
      name: 'bench',
      code: { name: 'bench', version: '1.0' },
      run: {
        schedule: '0 2 * * *',
        executor: 'slurm',
        command: ['fast.sh', '{obs}', '{outdir}'],
        inputs: { glob: 'obs/{yyyy}/{mm}/{dd}/*.obs' },
        array: { throttle },
        slurm: { partition: rig().slurm.partition, time: '5', mem: '100M' },
        retries: 0,
      },
    });
    const loaded = { config: pipeline, file: path.join(dir, 'bench.yaml') };
    const p = (name: string) => path.join(dir, name);
    const config: NocturneConfig = {
      dir,
      daemon: daemonConfigSchema.parse({
        database: { url: t.url, schema: t.schema },
        executor: { type: 'slurm', slurm: { pollInterval: poll, lostAfter: '5m' } },
      }),
      paths: { state: dir, outbox: p('outbox'), quarantine: p('quarantine'), logs: p('logs'), work: p('work') },
      pipelines: new Map([['bench', loaded]]),
    };

    const counts = new Map<string, number>();
    const sacctPerPoll: number[] = [];
    const stage = createRunStage({
      executor: (settings, ctx) => {
        const runner = countingRunner(createExecFileRunner({ env: slurmEnv() }), counts);
        const executor = createExecutor({ kind: 'slurm', logger: ctx.logger, lostAfterMs: settings.lostAfterMs, concurrency: 1, runner });
        const poll = executor.poll.bind(executor);
        executor.poll = async (jobs) => {
          const before = counts.get('sacct') ?? 0;
          const result = await poll(jobs);
          sacctPerPoll.push((counts.get('sacct') ?? 0) - before);
          return result;
        };
        return executor;
      },
    });

    process.stdout.write(`run bench: ${size} observations, array throttle ${throttle}, poll every ${poll}\n`);
    const started = Date.now();
    const outcome = await stage({
      config,
      pipeline: loaded,
      db: t.db,
      logger: createLogger({ level: process.env['BENCH_LOG'] ?? 'warn', pretty: false }),
      clock: systemClock,
      signal: new AbortController().signal,
      runId: 0,
      slot: new Date(),
      date: NIGHT,
      dryRun: false,
      progress: { update() {}, done() {} },
      print: () => {},
    });
    const ended = Date.now();
    const lastEnd = await lastMarkerMs(path.join(dir, 'work', 'run', 'bench'));
    const perPoll = [...new Set(sacctPerPoll)].join(', ');
    process.stdout.write(
      [
        `nocturne: ${outcome.ok ? 'ok' : 'FAILED'}: ${outcome.summary}`,
        `  wall time ${((ended - started) / 1000).toFixed(1)} s`,
        `  sacct calls per poll: ${perPoll} (${sacctPerPoll.length} polls); sbatch calls: ${counts.get('sbatch') ?? 0}; squeue calls: ${counts.get('squeue') ?? 0}`,
        `  last task end -> stage completion: ${((ended - lastEnd) / 1000).toFixed(2)} s`,
      ].join('\n') + '\n',
    );
    if (!args.includes('--no-baseline')) {
      const plainMs = await plainSbatch(dir, size, throttle);
      process.stdout.write(
        `plain sbatch --wait of the same array: ${(plainMs / 1000).toFixed(1)} s; nocturne / plain = ${((ended - started) / plainMs).toFixed(2)}\n`,
      );
    }
  } finally {
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
