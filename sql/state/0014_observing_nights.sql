-- What the catalogue's analysts need from the ledgers (issue 22): the observing night of
-- every loaded set, loaded file and archived file, and where an archived file can be seen.
-- The night is computed by nocturne from the file name's date and the pipeline's time
-- zone; rows recorded before this migration are filled in by the next nocturne process
-- that migrates with the configuration at hand (src/stages/nights-backfill.ts).

ALTER TABLE ingested_sets ADD COLUMN night date;
ALTER TABLE ingested_files ADD COLUMN night date;
ALTER TABLE transfers ADD COLUMN night date, ADD COLUMN public_url text;

COMMENT ON COLUMN ingested_sets.night IS 'Observing night of the set: the date in its file names, in the time zone of the pipeline''s run stage (as runs name their nights). NULL when the names carry no date.';
COMMENT ON COLUMN ingested_files.night IS 'Observing night of the file: the date in its name, in the time zone of the pipeline''s run stage (as runs name their nights). NULL when the name carries no date.';
COMMENT ON COLUMN transfers.night IS 'Observing night of the file: the date in its name, in the time zone of the pipeline''s run stage (as runs name their nights). NULL when the name carries no date.';
COMMENT ON COLUMN transfers.public_url IS 'Where the archived file can be seen: the target''s publicUrl followed by remote_path, recorded when the row was created. NULL when the target declares no publicUrl.';

-- The rows still to fill in: only those whose name has a date (the rest stay NULL).
CREATE INDEX ingested_sets_night_unknown ON ingested_sets (pipeline) WHERE night IS NULL AND set_key ~ '\d{8}T\d{6}';
CREATE INDEX ingested_files_night_unknown ON ingested_files (pipeline) WHERE night IS NULL AND path ~ '\d{8}T\d{6}';
CREATE INDEX transfers_night_unknown ON transfers (pipeline) WHERE night IS NULL AND local_path ~ '\d{8}T\d{6}';

-- The catalogue's lookups: a night's problems, a quicklook by name, a file's transfer and
-- the task that published it (a load by set key or by member path: 0013's indexes).
CREATE INDEX ingested_sets_night ON ingested_sets (night);
CREATE INDEX ingested_files_night ON ingested_files (night);
CREATE INDEX transfers_archived_name ON transfers (pipeline, (regexp_replace(remote_path, '^.*/', '')))
  WHERE state IN ('renamed', 'checked', 'deleted', 'kept');
CREATE INDEX transfers_target_remote_path ON transfers (target, remote_path);
CREATE INDEX transfers_quarantined_night ON transfers (night) WHERE state = 'quarantined';
CREATE INDEX observations_failed ON observations (night) WHERE state = 'failed';
COMMENT ON INDEX transfers_archived_name IS 'Archived files by pipeline and file name: the catalogue''s quicklook_url.';

-- The HFC catalogue has an observations table of its own, first on its search_path
-- ("<catalogue>, <state>"): it reads the run stage's ledger under this name.
CREATE VIEW run_observations AS SELECT * FROM observations;
COMMENT ON VIEW run_observations IS 'The run stage''s observations (observations), under a name the HFC catalogue''s own observations table does not hide when both schemas are on its search_path.';
