import { NocturneError } from '../../core/errors.js';

/** One job, or one array task (or a still pending range of them), as a SLURM command lists it. */
export interface SchedulerRow {
  name: string;
  /** The job id, or the array job id for array tasks. */
  schedulerId: string;
  /** Array task indices this row stands for; null for a job that is not an array. */
  indices: number[] | null;
  state: string;
  reason: string | null;
  exitCode: number | null;
  signal: number | null;
  /** `CANCELLED by 1234` (sacct): the uid that cancelled the job. */
  cancelledBy: number | null;
  /** NodeList: where it runs or ran; null while it waits. */
  node: string | null;
}

/** `sbatch --parsable` prints `ID` or `ID;cluster`. */
export function parseSbatchOutput(stdout: string): string {
  const id = stdout.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) {
    throw new NocturneError('SLURM_SUBMIT_FAILED', `sbatch printed ${JSON.stringify(stdout.trim())}, not a job id`);
  }
  return id;
}

/** `CANCELLED by 0` → `CANCELLED`; sacct appends who cancelled (see cancelledBy). */
export function normaliseState(state: string): string {
  return (state.trim().split(/\s+/)[0] ?? '').toUpperCase();
}

/** `CANCELLED by 0` → 0: the uid sacct names as the one who cancelled. */
export function cancelledBy(state: string): number | null {
  const m = /\bby\s+(\d+)\s*$/.exec(state.trim());
  return m ? Number(m[1]) : null;
}

/** Array task ids as SLURM prints them: `7`, `2-5`, `0-9%2`, `1,3,5-7`, `0-10:2`. */
export function expandIndices(spec: string, limit = 1_000_000): number[] {
  const out: number[] = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) throw new NocturneError('INTERNAL', `cannot read array task ids "${spec}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (step < 1 || to - from > limit) throw new NocturneError('INTERNAL', `array task ids "${spec}" out of range`);
    for (let i = from; i <= to; i += step) out.push(i);
  }
  return out;
}

/** `123`, `123_4`, `123_[2-5%2]` → the id and the task indices. */
export function parseJobId(text: string): { schedulerId: string; indices: number[] | null } | null {
  const m = /^(\d+)(?:_(?:(\d+)|\[([^\]]+)\]))?$/.exec(text.trim());
  if (!m) return null;
  const schedulerId = m[1] ?? '';
  if (m[2] !== undefined) return { schedulerId, indices: [Number(m[2])] };
  if (m[3] !== undefined) return { schedulerId, indices: expandIndices(m[3]) };
  return { schedulerId, indices: null };
}

/** NodeList as printed: `(null)` (scontrol), `None assigned` (sacct) or nothing while the job waits. */
function nodeOf(text: string | undefined): string | null {
  const node = (text ?? '').trim();
  return node === '' || node === '(null)' || node === 'None assigned' ? null : node;
}

function reasonOf(text: string | undefined): string | null {
  const reason = (text ?? '').trim();
  return reason === '' || reason === 'None' || reason === '(null)' ? null : reason;
}

/** `3:0` (code:signal), as sacct and scontrol print ExitCode. */
function exitPair(text: string | undefined): { exitCode: number | null; signal: number | null } {
  const m = /^(\d+):(\d+)$/.exec((text ?? '').trim());
  if (!m) return { exitCode: null, signal: null };
  return { exitCode: Number(m[1]), signal: Number(m[2]) === 0 ? null : Number(m[2]) };
}

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

/** The columns asked of sacct, in this order. */
export const SACCT_FIELDS = 'JobID,JobIDRaw,JobName,State,ExitCode,Reason,NodeList';

/** `sacct -X --parsable2 --noheader -o JobID,JobIDRaw,JobName,State,ExitCode,Reason,NodeList`. */
export function parseSacct(stdout: string): SchedulerRow[] {
  const rows: SchedulerRow[] = [];
  for (const line of lines(stdout)) {
    const [jobId, , name, state, exit, reason, node] = line.split('|');
    const id = parseJobId(jobId ?? '');
    if (!id || name === undefined || state === undefined) continue;
    rows.push({
      name,
      ...id,
      state: normaliseState(state),
      reason: reasonOf(reason),
      ...exitPair(exit),
      cancelledBy: cancelledBy(state),
      node: nodeOf(node),
    });
  }
  return rows;
}

/** The columns asked of sacct for a task's steps, to learn its memory use. */
export const SACCT_MEMORY_FIELDS = 'JobID,MaxRSS';

/** `1234K`, `56M`, `2G` (sacct MaxRSS, binary units) → bytes; empty → null. */
export function parseMemory(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGTP]?)$/i.exec(text.trim());
  if (!m) return null;
  const power = ' KMGTP'.indexOf((m[2] ?? '').toUpperCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** The largest MaxRSS of a task's steps (`sacct -j ID --parsable2 --noheader -o JobID,MaxRSS`). */
export function parsePeakMemory(stdout: string): number | null {
  let peak: number | null = null;
  for (const line of lines(stdout)) {
    const bytes = parseMemory(line.split('|')[1] ?? '');
    if (bytes !== null && (peak === null || bytes > peak)) peak = bytes;
  }
  return peak;
}

/** The squeue -O format: fields separated by "|", never padded. */
export const SQUEUE_FORMAT = 'JobArrayID:|,State:|,Reason:|,exit_code:|,NodeList:|,Name:';

/** `squeue -h -r --states=all -O JobArrayID:|,State:|,Reason:|,exit_code:|,NodeList:|,Name:` */
export function parseSqueue(stdout: string): SchedulerRow[] {
  const rows: SchedulerRow[] = [];
  for (const line of lines(stdout)) {
    const [jobId, state, reason, status, node, ...name] = line.split('|');
    const id = parseJobId(jobId ?? '');
    if (!id || state === undefined) continue;
    // exit_code is the raw wait status: code in the high byte, signal in the low bits.
    const wait = Number(status);
    const known = Number.isInteger(wait) && state.trim() !== 'PENDING' && state.trim() !== 'RUNNING';
    rows.push({
      name: name.join('|').trim(),
      ...id,
      state: normaliseState(state),
      reason: reasonOf(reason),
      exitCode: known ? (wait >> 8) & 0xff : null,
      signal: known && (wait & 0x7f) !== 0 ? wait & 0x7f : null,
      cancelledBy: null,
      node: nodeOf(node),
    });
  }
  return rows;
}

/** `scontrol -o show job`: one line of Key=Value pairs per job or array task. */
export function parseScontrol(stdout: string): SchedulerRow[] {
  const rows: SchedulerRow[] = [];
  for (const line of lines(stdout)) {
    const field = (key: string) => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(line)?.[1];
    const jobId = field('JobId');
    const name = field('JobName');
    const state = field('JobState');
    if (jobId === undefined || name === undefined || state === undefined) continue;
    const arrayId = field('ArrayJobId');
    const taskIds = field('ArrayTaskId');
    const id =
      arrayId !== undefined && taskIds !== undefined
        ? { schedulerId: arrayId, indices: expandIndices(taskIds) }
        : { schedulerId: jobId, indices: null };
    const node = nodeOf(field('NodeList'));
    rows.push({
      name,
      ...id,
      state: normaliseState(state),
      reason: reasonOf(field('Reason')),
      ...exitPair(field('ExitCode')),
      cancelledBy: null,
      node,
    });
  }
  return rows;
}

/** `MaxArraySize = 1001` of `scontrol show config`: the most tasks of a job array (ids 0..N-1); null when absent. */
export function parseMaxArraySize(stdout: string): number | null {
  const m = /^MaxArraySize\s*=\s*(\d+)\s*$/m.exec(stdout);
  return m ? Number(m[1]) : null;
}

/** What sacct prints (rc 1) when the cluster keeps no accounting: then scontrol has to do. */
export function isAccountingDisabled(stderr: string): boolean {
  return /accounting storage is disabled/i.test(stderr);
}
