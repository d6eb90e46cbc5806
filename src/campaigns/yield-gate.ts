import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import type { SubmissionGate } from '../fair-share/gate.js';

/**
 * A campaign's gate when it yields to the nightly runs: while a pipeline's own (nightly)
 * tasks are submitted and not ended, the campaign submits nothing; otherwise `inner`
 * decides. Campaign ledgers are told from pipelines by the dot in their name, which no
 * pipeline name has.
 */
export class YieldToNightlyGate implements SubmissionGate {
  constructor(
    private readonly db: Db,
    private readonly inner: SubmissionGate,
  ) {}

  async admit(want: number): Promise<number> {
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
