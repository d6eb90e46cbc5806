import { sleep } from '../../core/abort.js';
import { coerceError, NocturneError } from '../../core/errors.js';
import type { Logger } from '../../log/logger.js';
import { procTable, type ProcessTable } from '../local/processes.js';
import type { ProcessResult, ProcessRunner } from '../process-runner.js';
import type { Executor, JobSpec, PollResult, TaskKey, TaskRef, TrackedJob } from '../types.js';
import { mergeStatuses } from './merge.js';
import {
  isAccountingDisabled,
  parseMaxArraySize,
  parsePeakMemory,
  parseSacct,
  parseSbatchOutput,
  parseScontrol,
  parseSqueue,
  SACCT_FIELDS,
  SACCT_MEMORY_FIELDS,
  SQUEUE_FORMAT,
  type SchedulerRow,
} from './parse.js';
import { sbatchArgs, sbatchEnvironment } from './sbatch-args.js';

export interface SlurmCommands {
  sbatch: string;
  squeue: string;
  sacct: string;
  scontrol: string;
  scancel: string;
}

export interface SlurmExecutorOptions {
  runner: ProcessRunner;
  logger: Logger;
  /** Paths of the SLURM client commands (default: found on PATH). */
  commands?: Partial<SlurmCommands>;
  /** A task that neither sacct nor squeue knows for this long is LOST. */
  lostAfterMs: number;
  /** The environment jobs are submitted from, filtered (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where an sbatch left running by an earlier nocturne is found (default: /proc). */
  processes?: ProcessTable;
}

// sbatch failures after which slurmctld may have queued the job anyway.
const AMBIGUOUS_SUBMIT = /Socket timed out|Zero Bytes were transmitted|Unexpected message received/i;
// The controller was never reached: no job, but trying later may work.
const UNREACHABLE = /Unable to contact slurm controller|Connection refused|Slurm temporarily unable/i;
// The client found no slurm.conf (SLURM_CONF unset, no configless DNS record): it never
// reached the controller either. This host's setting, not the job's.
const NO_CONFIG = /Could not establish a configuration source/i;
// scancel of a job that has ended by itself meanwhile: nothing left to cancel.
const ALREADY_ENDED = /already completing or completed|Invalid job id specified/i;

// sacct selects by time window; start it well before the oldest job was recorded, so
// clock skew between this host and slurmdbd cannot hide a job.
const STARTTIME_MARGIN_MS = 3_600_000;

/**
 * SLURM through its command-line clients. A poll is one squeue call plus one sacct call
 * (or one `scontrol show job` where accounting is disabled), whatever the number of jobs:
 * jobs are selected by name, which also finds jobs whose submission was never confirmed.
 */
export class SlurmExecutor implements Executor {
  readonly kind = 'slurm' as const;
  readonly lostAfterMs: number;
  readonly #runner: ProcessRunner;
  readonly #logger: Logger;
  readonly #cmd: SlurmCommands;
  readonly #submitEnv: NodeJS.ProcessEnv;
  readonly #processes: ProcessTable;
  #accounting = true;
  /** MaxArraySize, once read: the cluster's configuration does not change under a run. */
  #maxArraySize: number | null | undefined;
  /** What the last poll could not reach, so that an outage is logged when it begins and when it ends. */
  readonly #down = { controller: false, accounting: false };

  constructor(options: SlurmExecutorOptions) {
    this.#runner = options.runner;
    this.#logger = options.logger;
    this.lostAfterMs = options.lostAfterMs;
    this.#submitEnv = sbatchEnvironment(options.env ?? process.env);
    this.#processes = options.processes ?? procTable;
    this.#cmd = { sbatch: 'sbatch', squeue: 'squeue', sacct: 'sacct', scontrol: 'scontrol', scancel: 'scancel', ...options.commands };
  }

  describe(job: JobSpec): string[] {
    return [this.#cmd.sbatch, ...sbatchArgs(job)];
  }

  async submit(job: JobSpec, signal?: AbortSignal): Promise<string> {
    const args = sbatchArgs(job);
    let result: ProcessResult;
    try {
      result = await this.#runner.run(this.#cmd.sbatch, args, { env: this.#submitEnv, ...(signal ? { signal } : {}) });
    } catch (err) {
      // Killed at our deadline or by a stop: slurmctld may have queued the job all the same.
      const error = coerceError(err, 'SLURM_SUBMIT_FAILED');
      throw new NocturneError('SLURM_SUBMIT_FAILED', `sbatch of job ${job.name}: ${error.message}`, {
        retryable: true,
        cause: err,
        details: { maybeSubmitted: error.code === 'TIMEOUT' || error.code === 'ABORTED' },
      });
    }
    if (result.code === 0) return parseSbatchOutput(result.stdout);
    // A non-zero exit means no job, except when the answer got lost on the way back.
    const maybeSubmitted = AMBIGUOUS_SUBMIT.test(result.stderr);
    const noConfig = !maybeSubmitted && NO_CONFIG.test(result.stderr);
    const unreachable = noConfig || (!maybeSubmitted && UNREACHABLE.test(result.stderr));
    const what = noConfig
      ? `the SLURM client has no configuration: set SLURM_CONF to the cluster's slurm.conf in nocturne's environment (its systemd unit)`
      : unreachable
        ? 'SLURM controller unreachable'
        : 'refused by sbatch';
    throw new NocturneError('SLURM_SUBMIT_FAILED', `job ${job.name} not submitted: ${what} (${describeFailure(result)})`, {
      retryable: maybeSubmitted || unreachable,
      details: { maybeSubmitted, unreachable, argv: [this.#cmd.sbatch, ...args] },
    });
  }

  async poll(jobs: readonly TrackedJob[], signal?: AbortSignal): Promise<PollResult> {
    if (jobs.length === 0) return { statuses: [], complete: true };
    const names = jobs.map((j) => j.name).join(',');
    const since = new Date(Math.min(...jobs.map((j) => j.createdAt.getTime())) - STARTTIME_MARGIN_MS);
    const [live, accounting] = await Promise.allSettled([this.#squeue(names, signal), this.#accountingRows(names, since, signal)]);
    if (!signal?.aborted) {
      this.#outage('controller', live, 'SLURM controller unreachable, waiting for it', 'SLURM controller reachable again');
      this.#outage(
        'accounting',
        accounting,
        'accounting unavailable, following with squeue',
        'accounting available again, following with sacct',
      );
    }
    const statuses = mergeStatuses(
      jobs,
      accounting.status === 'fulfilled' ? accounting.value : [],
      live.status === 'fulfilled' ? live.value : [],
    );
    return { statuses, complete: live.status === 'fulfilled' && accounting.status === 'fulfilled' };
  }

  /** Logs an outage of `what` once when it begins and once when it ends, not at every poll. */
  #outage(what: 'controller' | 'accounting', result: PromiseSettledResult<unknown>, begins: string, ends: string): void {
    const down = result.status === 'rejected';
    if (down === this.#down[what]) return;
    this.#down[what] = down;
    if (down) this.#logger.warn({ err: coerceError(result.reason) }, begins);
    else this.#logger.info(ends);
  }

  async cancel(tasks: readonly TaskRef[], signal?: AbortSignal): Promise<void> {
    const ids = tasks.flatMap(({ job, index }) =>
      job.schedulerId === null ? [] : [job.isArray ? `${job.schedulerId}_${index}` : job.schedulerId],
    );
    const unconfirmed = [...new Set(tasks.filter((t) => t.job.schedulerId === null).map((t) => t.job.name))];
    if (ids.length > 0) await this.#scancel([...new Set(ids)], signal);
    if (unconfirmed.length === 0) return;
    // An sbatch that a killed nocturne left running may submit the job later: stopped first.
    await this.#stopSubmissions(unconfirmed);
    await this.#scancel(['--me', `--name=${unconfirmed.join(',')}`], signal);
  }

  /** SIGKILLs the sbatch processes still submitting these jobs, found by their --job-name. */
  async #stopSubmissions(names: readonly string[]): Promise<void> {
    const options = new Set(names.map((name) => `--job-name=${name}`));
    for (const { pid, argv } of await this.#processes.list()) {
      if (!argv.some((arg) => options.has(arg))) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') continue;
        throw coerceError(err, 'EXEC_FAILED', `stopping the sbatch left running (pid ${pid}) of an unconfirmed job`);
      }
      this.#logger.warn({ pid, argv }, 'stopped an sbatch left running by an earlier nocturne, before cancelling its job by name');
    }
  }

  async #scancel(args: string[], signal?: AbortSignal): Promise<void> {
    const result = await this.#runner.run(this.#cmd.scancel, args, signal ? { signal } : {});
    if (result.code === 0) return;
    // One error line per job it could not cancel; jobs that ended meanwhile need nothing.
    const errors = result.stderr.split('\n').filter((l) => l.trim() !== '' && !ALREADY_ENDED.test(l));
    if (errors.length === 0 && result.stderr.trim() !== '') return;
    throw new NocturneError('EXEC_FAILED', `scancel ${args.join(' ')} failed: ${describeFailure(result)}`, { retryable: true });
  }

  async maxArrayTasks(signal?: AbortSignal): Promise<number | null> {
    if (this.#maxArraySize !== undefined) return this.#maxArraySize;
    try {
      this.#maxArraySize = parseMaxArraySize(await this.#check(this.#cmd.scontrol, ['show', 'config'], signal));
    } catch (err) {
      // Asked again at the next submission; meanwhile sbatch says what is wrong, if anything is.
      if (!signal?.aborted) {
        this.#logger.warn({ err: coerceError(err) }, 'reading MaxArraySize from scontrol show config failed: job arrays are not cut to it');
      }
      return null;
    }
    return this.#maxArraySize;
  }

  async peakMemory({ job, index }: TaskRef, signal?: AbortSignal): Promise<number | null> {
    if (job.schedulerId === null) return null;
    const id = job.isArray ? `${job.schedulerId}_${index}` : job.schedulerId;
    const out = await this.#check(
      this.#cmd.sacct,
      ['--parsable2', '--noheader', `--jobs=${id}`, `--format=${SACCT_MEMORY_FIELDS}`],
      signal,
    );
    return parsePeakMemory(out);
  }

  idle(ms: number, signal: AbortSignal): Promise<void> {
    return sleep(ms, signal);
  }

  /** SLURM jobs outlive nocturne; they are re-attached by name next time. */
  async abandon(): Promise<TaskKey[]> {
    return [];
  }

  async #squeue(names: string, signal?: AbortSignal): Promise<SchedulerRow[]> {
    const args = ['--noheader', '--array', '--states=all', `--name=${names}`, `--Format=${SQUEUE_FORMAT}`];
    return parseSqueue(await this.#check(this.#cmd.squeue, args, signal));
  }

  async #accountingRows(names: string, since: Date, signal?: AbortSignal): Promise<SchedulerRow[]> {
    if (this.#accounting) {
      const args = ['-X', '--parsable2', '--noheader', `--name=${names}`, `--starttime=${slurmTime(since)}`, `--format=${SACCT_FIELDS}`];
      const result = await this.#runner.run(this.#cmd.sacct, args, signal ? { signal } : {});
      if (result.code === 0) return parseSacct(result.stdout);
      if (!isAccountingDisabled(result.stderr)) {
        throw new NocturneError('EXEC_FAILED', `sacct failed: ${describeFailure(result)}`, { retryable: true });
      }
      this.#accounting = false;
      this.#logger.warn('slurm accounting storage is disabled: polling with scontrol show job instead of sacct');
    }
    // Without accounting only slurmctld knows the jobs, for MinJobAge after their end.
    return parseScontrol(await this.#check(this.#cmd.scontrol, ['--oneliner', 'show', 'job'], signal));
  }

  async #check(command: string, args: string[], signal?: AbortSignal): Promise<string> {
    const result = await this.#runner.run(command, args, signal ? { signal } : {});
    if (result.code !== 0) {
      throw new NocturneError('EXEC_FAILED', `${command} ${args[0] ?? ''} failed: ${describeFailure(result)}`, { retryable: true });
    }
    return result.stdout;
  }
}

function describeFailure(result: ProcessResult): string {
  const text = result.stderr.trim().split('\n').slice(-3).join(' / ') || result.stdout.trim() || 'no output';
  return `${result.signal ? `signal ${result.signal}` : `exit ${result.code}`}: ${text}`;
}

/** sacct reads times in the local time zone of the host it runs on: YYYY-MM-DDTHH:MM:SS. */
export function slurmTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}
