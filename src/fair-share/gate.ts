import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import { admissible, waitingDemand, type Caps, type LedgerLoad } from './shares.js';

/** Decides how much of a run's due work it submits now; the run stage asks before each submission round. */
export interface SubmissionGate {
  /** How many of `want` due observations may be submitted now; the others wait for the next poll. */
  admit(want: number): Promise<number>;
  /** The run is over: it waits for nothing any more. */
  close(): Promise<void>;
}

// A ledger that has not said it waits for this long has stopped (a killed process): ignored.
const DEMAND_FRESH = '1 minute';

/**
 * The fair-share gate of one ledger on SLURM: counts every ledger's live tasks from the
 * job ledgers (so every host and process sees the same count) and the observations they
 * said are waiting (share_demand), then applies `admissible`.
 */
export class FairShareGate implements SubmissionGate {
  constructor(
    private readonly db: Db,
    private readonly ledger: string,
    private readonly caps: Caps,
  ) {}

  async admit(want: number): Promise<number> {
    if (this.caps.ledger === null && this.caps.global === null) return want;
    return inDatabase(`${this.ledger}: counting the tasks submitted, for the submission caps`, async () => {
      await this.db.none(
        `INSERT INTO share_demand (ledger, waiting, seen_at) VALUES ($1, $2, now())
         ON CONFLICT (ledger) DO UPDATE SET waiting = EXCLUDED.waiting, seen_at = now()`,
        // Before the count below, as if nothing of it were live: its cap still bounds what it can take.
        [this.ledger, waitingDemand(want, 0, 0, this.caps.ledger)],
      );
      const loads = await this.db.any<LedgerLoad>(
        `WITH live AS (
           SELECT t.pipeline AS ledger, count(*)::int AS live FROM jobs j JOIN job_tasks t ON t.job = j.id
            WHERE j.state IN ('submitting', 'submitted') AND j.executor = 'slurm' AND t.state IN ('pending', 'running')
            GROUP BY t.pipeline),
         waiting AS (SELECT ledger, waiting FROM share_demand WHERE seen_at > now() - $1::interval AND waiting > 0)
         SELECT ledger, coalesce(l.live, 0) AS live, coalesce(w.waiting, 0) AS waiting FROM live l FULL JOIN waiting w USING (ledger)`,
        [DEMAND_FRESH],
      );
      const admitted = admissible(this.ledger, want, loads, this.caps);
      const live = loads.find((l) => l.ledger === this.ledger)?.live ?? 0;
      await this.db.none('UPDATE share_demand SET waiting = $2 WHERE ledger = $1', [
        this.ledger,
        waitingDemand(want, admitted, live, this.caps.ledger),
      ]);
      return admitted;
    });
  }

  async close(): Promise<void> {
    if (this.caps.ledger === null && this.caps.global === null) return;
    await inDatabase(`${this.ledger}: clearing its share demand`, () =>
      this.db.none('DELETE FROM share_demand WHERE ledger = $1', [this.ledger]),
    );
  }
}

/** No cap: everything due is submitted. */
export const openGate: SubmissionGate = {
  admit: async (want) => want,
  close: async () => undefined,
};
