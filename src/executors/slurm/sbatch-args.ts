import path from 'node:path';
import { NocturneError } from '../../core/errors.js';
import { jobEnvironment } from '../job-files.js';
import type { JobSpec } from '../types.js';

const JOB_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PARTITION = /^[A-Za-z0-9_.-]{1,64}$/;
const TIME = /^(\d+-)?\d{1,2}(:\d{2}){0,2}$|^\d+$/;
const MEM = /^\d+[KMGT]?$/;

/**
 * sbatch's filename patterns give `%` and `\` a meaning; a path with them, a newline or a
 * relative path is refused rather than escaped.
 */
export function checkSlurmPath(value: string, what: string): string {
  if (!path.isAbsolute(value) || /[%\\\n\r\0]/.test(value)) {
    throw new NocturneError('PATH_UNSAFE', `${what} "${value}" must be an absolute path without %, \\ or line breaks`);
  }
  return value;
}

/** The environment of the sbatch call, and so of the job: no secrets, SLURM's own settings kept. */
export function sbatchEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const slurm = Object.entries(env).filter(([k, v]) => k.startsWith('SLURM_') && v !== undefined);
  return { ...jobEnvironment(env), ...Object.fromEntries(slurm) };
}

/** --output: `%a` (the array task id) is the one pattern allowed through. */
function logOption(job: JobSpec): string {
  checkSlurmPath(job.logPattern.replaceAll('%a', '0'), 'log path');
  return job.array ? job.logPattern : job.logPattern.replaceAll('%a', '0');
}

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new NocturneError('CONFIG_INVALID', `${what} "${value}" is not valid for SLURM`);
  return value;
}

/**
 * The argv of `sbatch` for a job: every option one `--opt=value` token, so that no value
 * can be read as another option; the only positional values are the script path and its
 * arguments (the job directory, and the task index of a single job), after all options.
 */
export function sbatchArgs(job: JobSpec): string[] {
  const r = job.resources;
  const args = ['--parsable', `--job-name=${check(job.name, JOB_NAME, 'job name')}`];
  if (job.array) {
    if (!Number.isInteger(job.array.throttle) || job.array.throttle < 1) {
      throw new NocturneError('CONFIG_INVALID', `array throttle ${job.array.throttle} must be a positive integer`);
    }
    args.push(`--array=0-${job.taskCount - 1}%${job.array.throttle}`);
  } else if (job.taskCount !== 1) {
    throw new NocturneError('INTERNAL', `job ${job.name}: a single job runs one task, not ${job.taskCount}`);
  }
  if (r.partition !== undefined) args.push(`--partition=${check(r.partition, PARTITION, 'partition')}`);
  if (r.account !== undefined) args.push(`--account=${check(r.account, PARTITION, 'account')}`);
  if (r.qos !== undefined) args.push(`--qos=${check(r.qos, PARTITION, 'qos')}`);
  if (r.nice !== undefined && r.nice !== 0) args.push(`--nice=${check(String(r.nice), /^\d{1,10}$/, 'nice')}`);
  args.push(
    `--time=${check(r.time, TIME, 'time limit')}`,
    `--mem=${check(r.mem, MEM, 'memory')}`,
    `--cpus-per-task=${check(String(r.cpus), /^[1-9]\d{0,3}$/, 'cpus')}`,
    `--output=${logOption(job)}`,
    // A requeued job would come back under the same id and confuse the bookkeeping:
    // nocturne does its own retries, as new submissions.
    '--no-requeue',
    // The job inherits sbatch's environment, which sbatchEnvironment() has filtered. A
    // variable list here instead makes slurmd load a login environment per task: slow.
    '--export=ALL',
    checkSlurmPath(job.scriptPath, 'batch script'),
    checkSlurmPath(job.jobDir, 'job directory'),
  );
  if (!job.array) args.push('0');
  return args;
}
