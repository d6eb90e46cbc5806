import { describe, expect, it } from 'vitest';
import type { LiveTask } from '../../../src/stages/run/endings.js';
import type { JobRecord } from '../../../src/stages/run/job-ledger.js';
import { lostRequests, type LiveJob } from '../../../src/stages/run/live-jobs.js';

const record = (schedulerId: string | null): JobRecord => ({
  id: 1,
  token: 't',
  name: 'noc-p-t',
  executor: 'slurm',
  isArray: true,
  schedulerId,
  jobDir: '/w/t',
  scriptPath: '/w/t/job.sh',
  createdAt: new Date(0),
  taskCount: 1,
});
const task = (state: LiveTask['state']): LiveTask => ({
  index: 0,
  input: '/d/a.obs',
  obs: 'a',
  night: '2026-11-20',
  attempt: 1,
  logPath: '/l/a.log',
  state,
  lastSeenMs: 0,
  evidenceWaitSinceMs: null,
  cancelCause: null,
  waitWarned: false,
});
const lostReason = (job: JobRecord, t: LiveTask, kind: 'slurm' | 'local' = 'slurm') => {
  const live: LiveJob = { record: job, tasks: new Map([[0, t]]) };
  const [lost] = lostRequests([live], new Set(), 60_000, { kind, lostAfterMs: 30_000 }, new Set());
  return lost?.verdict.kind === 'failed' ? lost.verdict.reason : undefined;
};

describe('a task its executor no longer knows', () => {
  it('says what is known of it: SLURM forgets a pending array task cancelled before it started', () => {
    expect(lostReason(record('60'), task('pending'))).toBe(
      'SLURM no longer lists it (neither squeue nor sacct) since 1970-01-01T00:00:00.000Z: it was cancelled before it started, or lost (LOST)',
    );
    expect(lostReason(record('60'), task('running'))).toBe(
      'SLURM no longer lists it (neither squeue nor sacct) since 1970-01-01T00:00:00.000Z: lost (LOST)',
    );
    expect(lostReason(record(null), task('pending'))).toBe(
      'its submission was never confirmed, and SLURM lists no job of its name since 1970-01-01T00:00:00.000Z (LOST)',
    );
    expect(lostReason(record('60'), task('running'), 'local')).toBe(
      'it is unknown to the local executor since 1970-01-01T00:00:00.000Z (LOST)',
    );
  });
});
