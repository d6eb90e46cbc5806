import { parseMemory } from '../../executors/slurm/parse.js';
import type { TaskStatus } from '../../executors/types.js';

/** Evidence that a task went over the memory it asked for. */
export interface MemoryOverrun {
  /** The most it used, when known (MaxRSS, or the kill message). */
  usedBytes: number | null;
}

// slurmstepd's words when OverMemoryKill (accounting, no cgroups) kills a step:
// "StepId=653.batch exceeded memory limit (424361984 > 104857600), being killed".
const KILL_MESSAGE = /exceeded memory limit \((\d+) > (\d+)\)/;

/** Whether the end of a task is worth a memory check: killed by signal 9, or OUT_OF_MEMORY. */
export function mayBeMemory(status: TaskStatus): boolean {
  return status.state === 'OUT_OF_MEMORY' || (status.state === 'FAILED' && status.signal === 9);
}

/**
 * A memory overrun, if the evidence shows one: SLURM's OUT_OF_MEMORY (cgroup enforcement),
 * the kill message in the log (OverMemoryKill), or a peak use (MaxRSS) that reached the
 * request. `requested` is run.slurm.mem ("100M", SLURM's binary units).
 */
export function memoryOverrun(
  status: TaskStatus,
  logTail: string | null,
  peakBytes: number | null,
  requested: string,
): MemoryOverrun | null {
  const limit = parseMemory(/^\d+$/.test(requested) ? `${requested}M` : requested);
  const killed = logTail === null ? null : KILL_MESSAGE.exec(logTail);
  const fromLog = killed ? Number(killed[1]) : null;
  const used = Math.max(fromLog ?? 0, peakBytes ?? 0) || null;
  if (status.state === 'OUT_OF_MEMORY' || killed || /Exceeded job memory limit/.test(logTail ?? '')) return { usedBytes: used };
  if (peakBytes !== null && limit !== null && peakBytes >= limit) return { usedBytes: peakBytes };
  return null;
}
