-- The web monitor's reads, each an index range scan whatever the history (bench/monitor.ts
-- shows the plans): what needs attention per pipeline and time, what a run did by run_id,
-- and the lineage from an archive path back to the task that made the file.

-- Set aside for a person, by pipeline and time (overview, quarantine, pending counts).
CREATE INDEX IF NOT EXISTS observations_unfinished ON observations (pipeline, state, updated_at)
  WHERE state IN ('pending', 'active', 'failed');
CREATE INDEX IF NOT EXISTS transfers_quarantined ON transfers (pipeline, updated_at) WHERE state = 'quarantined';
CREATE INDEX IF NOT EXISTS ingested_files_rejected ON ingested_files (pipeline, finished_at) WHERE status = 'rejected';
CREATE INDEX IF NOT EXISTS ingested_files_quarantined_rows ON ingested_files (pipeline, finished_at) WHERE rows_quarantined > 0;
CREATE INDEX IF NOT EXISTS ingested_sets_status ON ingested_sets (pipeline, status, finished_at);

-- What one run did (the run page).
CREATE INDEX IF NOT EXISTS jobs_run ON jobs (run_id);
CREATE INDEX IF NOT EXISTS transfers_run ON transfers (run_id);
CREATE INDEX IF NOT EXISTS ingested_files_run ON ingested_files (run_id);
CREATE INDEX IF NOT EXISTS ingested_sets_run ON ingested_sets (run_id);

-- Lineage: an archive path to its transfer, a member path to its load, a file name to its task.
CREATE INDEX IF NOT EXISTS transfers_remote_path ON transfers (pipeline, remote_path);
CREATE INDEX IF NOT EXISTS ingested_sets_members ON ingested_sets USING gin (members jsonb_path_ops);
CREATE INDEX IF NOT EXISTS ingested_sets_set_key ON ingested_sets (set_key);
CREATE INDEX IF NOT EXISTS job_tasks_outputs ON job_tasks USING gin (outputs);

COMMENT ON INDEX observations_unfinished IS 'Observations not done, per pipeline, state and time: pending counts, the monitor''s attention list and quarantine page.';
COMMENT ON INDEX transfers_quarantined IS 'Quarantined files per pipeline and time: the monitor''s attention list and quarantine page.';
COMMENT ON INDEX ingested_files_rejected IS 'Rejected CSV files per pipeline and time: the monitor.';
COMMENT ON INDEX ingested_files_quarantined_rows IS 'Files with refused rows per pipeline and time: the monitor.';
COMMENT ON INDEX ingested_sets_status IS 'Sets per pipeline, status and time: the counts of sets set aside (status, metrics) and the monitor.';
COMMENT ON INDEX jobs_run IS 'The jobs of a run: the monitor''s run page.';
COMMENT ON INDEX transfers_run IS 'The files a run last changed: the monitor''s run page and quicklook gallery.';
COMMENT ON INDEX ingested_files_run IS 'The files a run loaded or rejected: the monitor''s run page.';
COMMENT ON INDEX ingested_sets_run IS 'The sets a run recorded: the monitor''s run page.';
COMMENT ON INDEX transfers_remote_path IS 'Lineage: the transfer that put an archive file in place.';
COMMENT ON INDEX ingested_sets_members IS 'Lineage: the loads a member file (by archive path) belongs to.';
COMMENT ON INDEX ingested_sets_set_key IS 'Lineage: the loads of a set key.';
COMMENT ON INDEX job_tasks_outputs IS 'Lineage: the task that published a file into the outbox (outputs ? name).';
