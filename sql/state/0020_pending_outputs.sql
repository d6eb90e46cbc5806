-- Retention keeps the job of an output that may still be loaded (a member name no set has
-- settled, whose file was not lost on its way): these find, by the output's name, the
-- sets not loaded that name it and the output's latest transfer, without reading the
-- ledgers through.
CREATE INDEX ingested_sets_unloaded_member_names ON ingested_sets USING gin (member_names) WITH (fastupdate = off)
  WHERE status IN ('waiting', 'refused', 'rejected');
CREATE INDEX transfers_output_name ON transfers (pipeline, (regexp_replace(local_path, '^.*/', '')), id) WHERE kind = 'output';
COMMENT ON INDEX ingested_sets_unloaded_member_names IS 'Retention: whether an output is a member of a set waiting, refused or rejected.';
COMMENT ON INDEX transfers_output_name IS 'Retention: the latest transfer of an output, by pipeline and file name (as job_tasks.outputs holds it).';
