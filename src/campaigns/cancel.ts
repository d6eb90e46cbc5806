import type { Db } from '../db/database.js';
import { inDatabase } from '../db/errors.js';
import type { Executor } from '../executors/types.js';
import { JobLedger } from '../stages/run/job-ledger.js';
import { campaignLedger, CampaignStore, type Campaign } from './store.js';

/**
 * Cancels a campaign: its state first (its driver submits nothing more: it reads the state
 * right before each submission), then its live jobs are ended (endCampaignJobs). A failed
 * campaign (a new code version) can be cancelled, and a cancelled one again: whatever of
 * its ledger is still live is then ended.
 */
export async function cancelCampaign(db: Db, id: number, executor: Executor): Promise<{ campaign: Campaign; tasks: number }> {
  const store = new CampaignStore(db);
  const campaign = await store.transition(
    id,
    ['running', 'paused', 'failed', 'cancelled'],
    'cancelled',
    'cancelled by nocturne backfill cancel',
  );
  return { campaign, tasks: await endCampaignJobs(db, campaign, executor) };
}

/**
 * `scancel` of a campaign's live tasks, found by job name in its own ledger (never
 * another's), then its jobs are recorded as ended, the tasks interrupted, so they no
 * longer count against the submission caps. Its observations stay as they are: what was
 * done stays done. Returns how many tasks were cancelled.
 */
export async function endCampaignJobs(db: Db, campaign: Campaign, executor: Executor): Promise<number> {
  const id = campaign.id;
  const ledgerName = campaignLedger(campaign.pipeline, id);
  const ledger = new JobLedger(db, ledgerName);
  const jobs = await ledger.activeJobs();
  const refs = jobs.flatMap(({ tasks, ...job }) => {
    const tracked = { ...job, live: tasks.map((t) => t.index) };
    return tasks.map((t) => ({ job: tracked, index: t.index }));
  });
  if (refs.length > 0) await executor.cancel(refs);
  await inDatabase(`campaign ${id}: recording its jobs cancelled`, () =>
    db.tx('campaign-cancel', async (tx) => {
      await tx.none(
        `UPDATE job_tasks SET state = 'interrupted', reason = 'campaign cancelled', finished_at = now()
          WHERE pipeline = $1 AND state IN ('pending', 'running')`,
        [ledgerName],
      );
      await tx.none(
        `UPDATE jobs SET state = 'finished', finished_at = now() WHERE pipeline = $1 AND state IN ('submitting', 'submitted')`,
        [ledgerName],
      );
      await tx.none(`UPDATE observations SET state = 'pending', updated_at = now() WHERE pipeline = $1 AND state = 'active'`, [ledgerName]);
    }),
  );
  return refs.length;
}
