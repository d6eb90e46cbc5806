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

/**
 * Reasons a task waits that a person must act on: a hold, or a node or partition that
 * cannot take jobs. SLURM's long form for a drained node is "Nodes required for job are
 * DOWN, DRAINED or ...", its accounting form ReqNodeNotAvail.
 */
const NEEDS_PERSON = /^(JobHeld(Admin|User)|ReqNodeNotAvail|NodeDown|PartitionDown|PartitionInactive|Nodes required for job are DOWN)/;

/** Reasons every queue shows in passing: not worth a line in the log. */
const ROUTINE_REASONS: ReadonlySet<string> = new Set(['Priority', 'Resources', 'JobArrayTaskLimit', 'None']);

export function needsPerson(reason: string): boolean {
  return NEEDS_PERSON.test(reason);
}

export function isRoutineWait(reason: string): boolean {
  return ROUTINE_REASONS.has(reason);
}

/** What SLURM's reason means, for a person: the reason itself, explained where it helps. */
export function explainWait(reason: string): string {
  // squeue's word for no reason, and what the run stage records when an executor gives none (the local one).
  if (reason === 'None') return 'no reason given: waiting its turn';
  if (/^JobHeldAdmin/.test(reason)) return `${reason}: held by an administrator (scontrol release)`;
  if (/^JobHeldUser/.test(reason)) return `${reason}: held by its user (scontrol release)`;
  if (/^BeginTime/.test(reason)) return `${reason}: requeued, or not allowed to start yet`;
  if (/^(ReqNodeNotAvail|Nodes required for job are DOWN)/.test(reason)) {
    return `${reason} (the node is drained or down: scontrol update nodename=... state=resume)`;
  }
  return reason;
}
