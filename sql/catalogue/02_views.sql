-- HFC-like feature catalogue: views for analysts. ingested_files and quarantine_rows
-- are nocturne's state tables: they are found through search_path, which the
-- installer sets to "<catalogue schema>, <state schema>" (by default "hfc, nocturne").
-- A view binds to the tables it names when it is created, so install the catalogue
-- again if the state schema is renamed.

CREATE OR REPLACE VIEW features AS
  SELECT 'sunspots'::text AS feature_type, s.* FROM sunspots s
  UNION ALL
  SELECT 'active_regions'::text, a.* FROM active_regions a
  UNION ALL
  SELECT 'type_iii'::text, t.* FROM type_iii t;
COMMENT ON VIEW features IS 'All features of all types, with feature_type naming the table each row is in.';

CREATE OR REPLACE VIEW latest_features AS
  SELECT ranked.feature_type, ranked.feature_id, ranked.id_feat, ranked.obs_id, ranked.date_obs, ranked.instrume,
         ranked.feat_x_arcsec, ranked.feat_y_arcsec, ranked.feat_hg_long_deg, ranked.feat_hg_lat_deg,
         ranked.feat_carr_long_deg, ranked.feat_carr_lat_deg, ranked.feat_area_deg2, ranked.feat_mean_int,
         ranked.feat_max_int, ranked.cc, ranked.cc_length, ranked.feat_filename, ranked.run_date, ranked.ingested_file_id
    FROM (SELECT f.*, rank() OVER (PARTITION BY f.feature_type, f.instrume, f.obs_id ORDER BY f.run_date DESC) AS recency
            FROM features f) ranked
   WHERE ranked.recency = 1;
COMMENT ON VIEW latest_features IS 'For each observation and feature type, the features of the most recent detection run only (older runs of the same observation are hidden).';

-- Column comments of the two feature views are those of the feature tables.
DO $$
DECLARE
  col record;
BEGIN
  FOR col IN
    SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
      FROM pg_attribute a
     WHERE a.attrelid = 'sunspots'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  LOOP
    EXECUTE format('COMMENT ON COLUMN features.%I IS %L', col.attname, col.description);
    EXECUTE format('COMMENT ON COLUMN latest_features.%I IS %L', col.attname, col.description);
  END LOOP;
END
$$;
COMMENT ON COLUMN features.feature_type IS 'Feature table the row is in: sunspots, active_regions or type_iii.';
COMMENT ON COLUMN latest_features.feature_type IS 'Feature table the row is in: sunspots, active_regions or type_iii.';

CREATE OR REPLACE VIEW ingestion_stats AS
  SELECT (f.finished_at AT TIME ZONE 'UTC')::date AS night,
         f.code,
         f.code_version,
         f.pipeline,
         f.target_table,
         count(*) FILTER (WHERE f.status = 'loaded') AS files_loaded,
         count(*) FILTER (WHERE f.status = 'rejected') AS files_rejected,
         coalesce(sum(f.rows_read), 0) AS rows_read,
         coalesce(sum(f.rows_inserted), 0) AS rows_inserted,
         coalesce(sum(f.rows_updated), 0) AS rows_updated,
         coalesce(sum(f.rows_conflicting), 0) AS rows_conflicting,
         coalesce(sum(f.rows_quarantined), 0) AS rows_quarantined
    FROM ingested_files f
   WHERE f.status IN ('loaded', 'rejected')
   GROUP BY 1, 2, 3, 4, 5;
COMMENT ON VIEW ingestion_stats IS 'Ingestion counts per night (UTC date the file was loaded or rejected), code version, pipeline and table.';
COMMENT ON COLUMN ingestion_stats.night IS 'UTC date on which the files were loaded or rejected.';
COMMENT ON COLUMN ingestion_stats.code IS 'Detection code (pipeline code.name).';
COMMENT ON COLUMN ingestion_stats.code_version IS 'Detection code version (pipeline code.version).';
COMMENT ON COLUMN ingestion_stats.pipeline IS 'Pipeline that ingested the files.';
COMMENT ON COLUMN ingestion_stats.target_table IS 'Catalogue table the files were loaded into.';
COMMENT ON COLUMN ingestion_stats.files_loaded IS 'Files loaded (possibly with some rows quarantined).';
COMMENT ON COLUMN ingestion_stats.files_rejected IS 'Files refused as a whole (nothing of them loaded).';
COMMENT ON COLUMN ingestion_stats.rows_read IS 'Data records read from the files.';
COMMENT ON COLUMN ingestion_stats.rows_inserted IS 'Rows added to the catalogue.';
COMMENT ON COLUMN ingestion_stats.rows_updated IS 'Existing rows changed (pipelines with onConflict: update).';
COMMENT ON COLUMN ingestion_stats.rows_conflicting IS 'Rows whose natural key was already present.';
COMMENT ON COLUMN ingestion_stats.rows_quarantined IS 'Bad rows set aside (see quarantined_rows).';

CREATE OR REPLACE VIEW quarantined_rows AS
  SELECT q.id, f.pipeline, f.code, f.code_version, f.path, f.sha256, f.id AS ingested_file_id, f.status AS file_status,
         q.line, q.raw, q.reason, f.finished_at AS ingested_at
    FROM quarantine_rows q
    JOIN ingested_files f ON f.id = q.file_id;
COMMENT ON VIEW quarantined_rows IS 'Bad rows set aside while the rest of their file was loaded (badRows.policy: quarantine).';
COMMENT ON COLUMN quarantined_rows.id IS 'Quarantined row number.';
COMMENT ON COLUMN quarantined_rows.pipeline IS 'Pipeline that read the file.';
COMMENT ON COLUMN quarantined_rows.code IS 'Detection code that wrote the file.';
COMMENT ON COLUMN quarantined_rows.code_version IS 'Version of that code.';
COMMENT ON COLUMN quarantined_rows.path IS 'Path of the file (local or remote) when it was read.';
COMMENT ON COLUMN quarantined_rows.sha256 IS 'SHA-256 of the file content.';
COMMENT ON COLUMN quarantined_rows.ingested_file_id IS 'Ledger row of the file.';
COMMENT ON COLUMN quarantined_rows.file_status IS 'Status of the file: loaded (the other rows are in the catalogue).';
COMMENT ON COLUMN quarantined_rows.line IS 'Line of the file where the bad record starts (header = line 1).';
COMMENT ON COLUMN quarantined_rows.raw IS 'The bad record as read.';
COMMENT ON COLUMN quarantined_rows.reason IS 'Why it was refused: "column: reason".';
COMMENT ON COLUMN quarantined_rows.ingested_at IS 'When the file was loaded.';

CREATE OR REPLACE VIEW rejected_files AS
  SELECT f.id AS ingested_file_id, f.pipeline, f.code, f.code_version, f.source, f.path, f.sha256, f.size_bytes,
         f.error, f.report, f.finished_at AS rejected_at
    FROM ingested_files f
   WHERE f.status = 'rejected';
COMMENT ON VIEW rejected_files IS 'Files refused as a whole: nothing of them is in the catalogue. They are not retried until their content changes.';
COMMENT ON COLUMN rejected_files.ingested_file_id IS 'Ledger row of the file (delete it to have the same content tried again).';
COMMENT ON COLUMN rejected_files.pipeline IS 'Pipeline that read the file.';
COMMENT ON COLUMN rejected_files.code IS 'Detection code that wrote the file.';
COMMENT ON COLUMN rejected_files.code_version IS 'Version of that code.';
COMMENT ON COLUMN rejected_files.source IS 'Where the file was listed ("local:<dir>" or "<target>:<dir>").';
COMMENT ON COLUMN rejected_files.path IS 'Path of the file when it was read (local files are then moved to the quarantine directory).';
COMMENT ON COLUMN rejected_files.sha256 IS 'SHA-256 of the file content.';
COMMENT ON COLUMN rejected_files.size_bytes IS 'Size of the file in bytes.';
COMMENT ON COLUMN rejected_files.error IS 'First located error: "file:line[:column]: reason".';
COMMENT ON COLUMN rejected_files.report IS 'All errors found (up to 100): {"issues": [{line, column, value, reason}], "truncated": bool}.';
COMMENT ON COLUMN rejected_files.rejected_at IS 'When the file was rejected.';
