/** SLURM job states after which a job never runs again (we submit with --no-requeue). */
export const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'BOOT_FAIL',
  'PREEMPTED',
  'DEADLINE',
  'REVOKED',
  'SPECIAL_EXIT',
]);

/** States in which the task's code is (about to be) executing. */
export const RUNNING_STATES: ReadonlySet<string> = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING']);

export function isTerminal(state: string): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * Reasons for which a PENDING job will wait forever (a dependency that failed, a request
 * the partition can never satisfy): such a job is cancelled and reported as an error.
 */
export const HOPELESS_PENDING_REASONS: ReadonlySet<string> = new Set(['DependencyNeverSatisfied', 'PartitionConfig']);

export function isHopelessPending(state: string, reason: string | null): boolean {
  const first = reason?.split(/[\s,]/)[0] ?? '';
  return state === 'PENDING' && HOPELESS_PENDING_REASONS.has(first);
}
