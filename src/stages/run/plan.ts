import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeTaskArgv, SCRIPT_NAME, taskArgvPath, taskLogPath, taskOutDir } from '../../executors/job-files.js';
import type { Executor, JobSpec } from '../../executors/types.js';
import { renderWrapperScript } from '../../executors/wrapper-script.js';
import type { RunSettings } from './settings.js';
import type { PendingObservation, TaskBase } from './job-ledger.js';

/** SLURM's default MaxArraySize is 1001: task ids 0..1000. Larger nights get several arrays. */
export const MAX_ARRAY_TASKS = 1000;

/**
 * The most tasks per job array: MAX_ARRAY_TASKS, or fewer where the cluster allows fewer
 * (SLURM's MaxArraySize; 0 where it disables arrays, which then become single jobs).
 * Without it, every night larger than the cluster's limit would be refused by sbatch.
 */
export async function arrayLimit(executor: Pick<Executor, 'maxArrayTasks'>, signal?: AbortSignal): Promise<number> {
  const max = await executor.maxArrayTasks(signal);
  return max === null ? MAX_ARRAY_TASKS : Math.min(MAX_ARRAY_TASKS, max);
}

export interface PlannedTask extends TaskBase {
  /** The detection code's argv, placeholders filled in. */
  argv: string[];
}

export interface PlannedJob {
  token: string;
  spec: JobSpec;
  script: string;
  tasks: PlannedTask[];
}

export function newToken(): string {
  return randomBytes(5).toString('hex');
}

/** `noc-<pipeline>-<token>`: within SLURM's safe name characters and 64 characters. */
export function jobName(pipeline: string, token: string): string {
  return `noc-${pipeline.slice(0, 40)}-${token}`;
}

/** Fills {input} {obs} {date} {outdir} in every argument; other braces are left alone. */
export function expandCommand(command: readonly string[], values: Record<'input' | 'obs' | 'date' | 'outdir', string>): string[] {
  return command.map((arg) => arg.replace(/\{(input|obs|date|outdir)\}/g, (_, k: keyof typeof values) => values[k]));
}

/**
 * The jobs that run these observations: job arrays of up to `maxArray` tasks (see
 * arrayLimit) when the pipeline has `array`, otherwise one single job per observation.
 */
export function planJobs(
  settings: RunSettings,
  observations: readonly PendingObservation[],
  runDate: string,
  token: () => string = newToken,
  maxArray = MAX_ARRAY_TASKS,
): PlannedJob[] {
  const array = maxArray > 0 ? settings.array : undefined;
  const size = array ? maxArray : 1;
  const jobs: PlannedJob[] = [];
  for (let start = 0; start < observations.length; start += size) {
    const chunk = observations.slice(start, start + size);
    const t = token();
    const name = jobName(settings.pipeline, t);
    const jobDir = path.join(settings.workDir, t);
    const logPattern = path.join(settings.logDir, runDate, `${name}.%a.log`);
    const spec: JobSpec = {
      name,
      jobDir,
      scriptPath: path.join(jobDir, SCRIPT_NAME),
      logPattern,
      taskCount: chunk.length,
      array,
      resources: settings.resources,
    };
    const tasks = chunk.map((o, index) => ({
      index,
      input: o.input,
      obs: o.obs,
      night: o.night,
      attempt: o.failures + 1,
      argv: expandCommand(settings.command, {
        input: o.input,
        obs: o.obs,
        date: o.night,
        outdir: taskOutDir(jobDir, index),
      }),
      logPath: taskLogPath(logPattern, index),
    }));
    const script = renderWrapperScript({
      pipeline: settings.pipeline,
      jobName: name,
      csvGlob: settings.csvGlob,
      quicklookGlob: settings.quicklookGlob,
    });
    jobs.push({ token: t, spec, script, tasks });
  }
  return jobs;
}

/** Writes the job directory: the script, then one argument file per task. */
export async function writeJobFiles(job: PlannedJob): Promise<void> {
  await mkdir(job.spec.jobDir, { recursive: true });
  await mkdir(path.dirname(job.spec.logPattern), { recursive: true });
  await writeFile(job.spec.scriptPath, job.script, { mode: 0o755 });
  // In slices: a thousand files opened at once could exhaust the descriptors.
  for (let i = 0; i < job.tasks.length; i += 64) {
    await Promise.all(
      job.tasks.slice(i, i + 64).map((t) => writeFile(taskArgvPath(job.spec.jobDir, t.index), encodeTaskArgv(t.obs, t.attempt, t.argv))),
    );
  }
}
