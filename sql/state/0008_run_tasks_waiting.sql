-- Stage "run": why a task waits, whether nocturne asked SLURM to cancel it, and what a
-- task wrote without publishing it. A task cancelled by nocturne itself (stage timeout)
-- or that never reached SLURM is not the code's failure: it ends 'interrupted' and its
-- observation is pending again.

ALTER TABLE job_tasks
  ADD COLUMN wait_reason text,
  ADD COLUMN waiting_since timestamptz,
  ADD COLUMN cancel_requested_at timestamptz,
  ADD COLUMN left_files jsonb;

COMMENT ON COLUMN job_tasks.wait_reason IS 'While the task waits (PENDING): SLURM''s reason, e.g. JobHeldAdmin, BeginTime (requeued), or why the node cannot take it. NULL once it runs.';
COMMENT ON COLUMN job_tasks.waiting_since IS 'When the task began to wait for wait_reason.';
COMMENT ON COLUMN job_tasks.cancel_requested_at IS 'When nocturne asked SLURM to cancel the task (stage timeout, or a job that can never start): a CANCELLED end is then nocturne''s doing, not the code''s failure.';
COMMENT ON COLUMN job_tasks.left_files IS 'Files the task wrote in its work directory and did not publish (paths relative to that directory): reported, and kept there for a person.';
COMMENT ON COLUMN job_tasks.state IS 'pending, running; then completed, failed (the code''s or SLURM''s verdict), lost (unknown to the scheduler), interrupted (stopped by nocturne or never submitted: the observation is pending again).';
COMMENT ON COLUMN job_tasks.outputs IS 'Files the task published into the outbox (names). Set before they are moved, so a run killed while publishing finishes the move.';
