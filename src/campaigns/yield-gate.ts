import type { Clock } from '../core/clock.js';
import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import type { SubmissionGate } from '../fair-share/gate.js';
import type { Schedule } from '../scheduling/slots.js';

export interface YieldOptions {
  /** The run stages' schedules of the pipelines (the nightly runs). */
  schedules: readonly Schedule[];
  clock: Clock;
  /** How long before a nightly slot nothing more is submitted (campaigns.yieldBefore). */
  beforeMs: number;
}

/**
 * A campaign's gate when it yields to the nightly runs: while a pipeline's own (nightly)
 * tasks are submitted and not ended, and in the `beforeMs` before a nightly run's slot,
 * the campaign submits nothing; otherwise `inner` decides. The lead lets the tasks the
 * campaign has running end before the nightly run's tasks come: SLURM starts those first
 * (nice), but does not stop a task already running for them. Campaign ledgers are told
 * from pipelines by the dot in their name, which no pipeline name has.
 */
export class YieldToNightlyGate implements SubmissionGate {
  constructor(
    private readonly db: Db,
    private readonly inner: SubmissionGate,
    private readonly options: YieldOptions,
  ) {}

  async admit(want: number): Promise<number> {
    const now = this.options.clock.now();
    const soon = this.options.schedules.some((s) => {
      const slot = s.next(now);
      return slot !== null && slot.getTime() - now.getTime() <= this.options.beforeMs;
    });
    if (soon) return 0;
    const nightly = await inDatabase('campaign: looking for nightly tasks in SLURM', () =>
      this.db.one<{ busy: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM job_tasks t JOIN jobs j ON j.id = t.job
                         WHERE j.state IN ('submitting', 'submitted') AND t.state IN ('pending', 'running')
                           AND strpos(t.pipeline, '.') = 0) AS busy`,
      ),
    );
    return nightly.busy ? 0 : this.inner.admit(want);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
