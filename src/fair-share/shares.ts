/** One ledger (a pipeline, or a campaign) as the fair-share count sees it. */
export interface LedgerLoad {
  ledger: string;
  /** Tasks submitted and not ended. */
  live: number;
  /** Observations waiting for a submission. */
  waiting: number;
}

export interface Caps {
  /** Most live tasks of this ledger (run.maxRunning, a campaign's maxRunning); null: none. */
  ledger: number | null;
  /** Most live tasks of every ledger together (executor.slurm.maxSubmitted); null: none. */
  global: number | null;
}

/**
 * Max-min fair shares of `capacity` among ledgers that want `demand` tasks each (water
 * filling): a ledger that wants less than an equal part gets what it wants, and what it
 * leaves is shared among the others.
 */
export function fairShares(capacity: number, demands: ReadonlyMap<string, number>): Map<string, number> {
  const shares = new Map<string, number>();
  let left = capacity;
  const order = [...demands].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  for (const [i, [ledger, demand]] of order.entries()) {
    const equal = Math.floor(left / (order.length - i));
    const share = Math.min(demand, Math.max(equal, 0));
    shares.set(ledger, share);
    left -= share;
  }
  // Whatever rounding left over goes to the largest demands first.
  for (const [ledger, demand] of [...order].reverse()) {
    if (left <= 0) break;
    const more = Math.min(left, demand - shares.get(ledger)!);
    shares.set(ledger, shares.get(ledger)! + more);
    left -= more;
  }
  return shares;
}

/**
 * How many of `want` observations `me` may submit now: within its own cap, within what the
 * global cap leaves free, and within its fair share of the global cap among the ledgers
 * that have tasks live or waiting. A ledger above its share (it came first) submits
 * nothing until its tasks end, and the free slots go to those below theirs.
 */
export function admissible(me: string, want: number, loads: readonly LedgerLoad[], caps: Caps): number {
  const mine = loads.find((l) => l.ledger === me)?.live ?? 0;
  let allowed = want;
  if (caps.ledger !== null) allowed = Math.min(allowed, caps.ledger - mine);
  if (caps.global !== null) {
    const total = loads.reduce((sum, l) => sum + l.live, 0);
    const demands = new Map(loads.filter((l) => l.ledger !== me && l.live + l.waiting > 0).map((l) => [l.ledger, l.live + l.waiting]));
    demands.set(me, Math.min(mine + want, caps.ledger ?? Infinity));
    const share = fairShares(caps.global, demands).get(me)!;
    allowed = Math.min(allowed, caps.global - total, share - mine);
  }
  return Math.max(0, allowed);
}

/**
 * What a ledger tells the others it waits for, after a submission round: the rest of
 * `want`, but no more than its own cap lets it submit. The others count its demand as
 * live + waiting; a pipeline at its own cap wants nothing more of the global cap, and
 * counting its whole backlog would take from a small pipeline slots it can never use.
 */
export function waitingDemand(want: number, admitted: number, live: number, cap: number | null): number {
  const waiting = want - admitted;
  return cap === null ? waiting : Math.min(waiting, Math.max(0, cap - live - admitted));
}
