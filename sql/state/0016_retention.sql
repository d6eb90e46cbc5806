-- Retention (issue 18): what `nocturne prune` and the daemon's housekeeping slot read to
-- find what they may remove, without reading the ledgers through, and to tell a job that
-- is provenance of catalogue rows (lineage) from one that is not.

-- The file names of a set's members ("path" elements reduced to their last element):
-- lineage() finds the task that published a member by that name (job_tasks.outputs).
CREATE FUNCTION member_names(members jsonb) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT coalesce(array_agg(regexp_replace(m ->> 'path', '^.*/', '')), '{}') FROM jsonb_array_elements(members) AS m $$;
COMMENT ON FUNCTION member_names(jsonb) IS 'The file names (last path element) of the members of a set: what job_tasks.outputs holds.';

-- Loads whose catalogue rows exist or existed (loaded, replaced): their members' tasks
-- and jobs are never pruned. Without a pending list (fastupdate): each load is one insert,
-- and every lookup stays an index lookup, however many loads came since the last vacuum.
CREATE INDEX ingested_sets_member_names ON ingested_sets USING gin (member_names(members)) WITH (fastupdate = off)
  WHERE status IN ('loaded', 'replaced');
COMMENT ON INDEX ingested_sets_member_names IS 'Retention: whether a task''s output is a member of a load (its job is then provenance, never pruned).';

-- Old closed rows, oldest first: the ledgers' primary keys follow time, so prune walks
-- them by id; these find the rows of one state among the rest.
CREATE INDEX transfers_closed_prune ON transfers (state, updated_at) WHERE state IN ('missing', 'quarantined');
CREATE INDEX ingested_files_rejected_prune ON ingested_files (finished_at) WHERE status = 'rejected';
COMMENT ON INDEX transfers_closed_prune IS 'Retention: missing and quarantined transfers by age.';
COMMENT ON INDEX ingested_files_rejected_prune IS 'Retention: rejected files by age.';
