import { readdir } from 'node:fs/promises';
import type { JobRecord } from './job-ledger.js';

/** What nocturne itself keeps in a job directory (see executors/job-files.ts). */
const JOB_FILES = /^(job\.sh|task-\d+(\.argv|\.exit|\.exit\.tmp)?)$/;

/** Files in a job's directory that nocturne did not put there: a task wrote them above its own directory. */
export async function jobDirStrays(jobDir: string): Promise<string[]> {
  const names = await readdir(jobDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names.filter((n) => !JOB_FILES.test(n)).sort();
}

const some = (files: readonly string[]) => `${files.slice(0, 5).join(', ')}${files.length > 5 ? ', ...' : ''}`;

/** `sdoss: observation X (job ..., attempt 1): wrote 2 file(s) it did not publish, kept in <dir>: a, b` */
export function leftMessage(task: string, dir: string, files: readonly string[]): string {
  return `${task}: wrote ${files.length} file(s) it did not publish, kept in ${dir}: ${some(files)}`;
}

export function strayMessage(pipeline: string, job: JobRecord, files: readonly string[]): string {
  return `${pipeline}: job ${job.name}: ${files.length} file(s) written by one of its tasks outside its own directory, kept in ${job.jobDir}: ${some(files)}`;
}
