/**
 * Whether a registered daemon is alive, from its heartbeat alone: pure, so that `hosts`,
 * `status` and the takeover of a dead holder's run judge it by one rule.
 *
 * - alive: its heartbeat is at most LATE_AFTER_PERIODS periods old;
 * - late: older, but at most GONE_AFTER_PERIODS periods (a database hiccup, a busy host);
 * - gone: older than that, or the daemon recorded a clean stop.
 */
export type Liveness = 'alive' | 'late' | 'gone';

export const LATE_AFTER_PERIODS = 2;
export const GONE_AFTER_PERIODS = 4;

export interface Beat {
  heartbeatAt: Date;
  heartbeatMs: number;
  stoppedAt: Date | null;
}

export function liveness(host: Beat, now: Date): Liveness {
  if (host.stoppedAt) return 'gone';
  const periods = (now.getTime() - host.heartbeatAt.getTime()) / host.heartbeatMs;
  if (periods <= LATE_AFTER_PERIODS) return 'alive';
  return periods <= GONE_AFTER_PERIODS ? 'late' : 'gone';
}

/**
 * The configured `pipeline/stage` pairs that no live (alive or late) host schedules, in
 * the order given: work that will wait until a daemon takes it up.
 */
export function unscheduled(
  wanted: readonly string[],
  hosts: ReadonlyArray<{ liveness: Liveness; schedules: readonly string[] }>,
): string[] {
  const live = hosts.filter((h) => h.liveness !== 'gone');
  return wanted.filter((key) => !live.some((h) => h.schedules.includes(key)));
}
