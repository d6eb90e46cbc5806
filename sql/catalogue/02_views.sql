-- The HFC catalogue: views for analysts and HFCPy. ingested_files, quarantine_rows and
-- ingested_sets are nocturne's state tables: they are found through search_path, which
-- the installer sets to "<catalogue schema>, <state schema>" (by default "hfc, nocturne").
-- A view binds to the tables it names when it is created, so install the catalogue
-- again if the state schema is renamed.
--
-- The feature's own columns come last (f.*): a column added to a feature table later is
-- appended to its view by the next install, which CREATE OR REPLACE VIEW allows.

-- CREATE OR REPLACE VIEW can only append columns: a view whose columns changed place
-- since an earlier install is dropped first, then only (checked on a column it lacks).
-- DROP without CASCADE: a view of the analysts' own built on one stops the install
-- (naming it) rather than vanishing with it. The privileges of the readers are given
-- back at the end of the install (03_analysts.sql).
DO $$
DECLARE
  v record;
BEGIN
  FOR v IN
    SELECT c.relname FROM pg_class c
      JOIN (VALUES ('view_sunspots_hqi', 'quicklook_url'), ('view_ar_hqi', 'quicklook_url'), ('view_type_iii_hqi', 'quicklook_url'),
                   ('ingestion_stats', 'load_date')) AS w(view, since) ON w.view = c.relname
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v'
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = w.since AND NOT a.attisdropped)
  LOOP
    EXECUTE format('DROP VIEW %I', v.relname);
  END LOOP;
END
$$;

-- What the run and upload stages write for operators names local directories (the task's
-- log, its work directory); readers of the catalogue get the file names only. A URL
-- (https://host/...) is left alone: its slashes follow a colon.
CREATE OR REPLACE FUNCTION file_names_only(message text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
  AS $$ SELECT regexp_replace($1, '(^|[\s(="''])/(?:[^\s;/"'']+/)+', '\1', 'g') $$;
COMMENT ON FUNCTION file_names_only(text) IS 'The message with each absolute path reduced to its last element: "log /var/lib/nocturne/logs/x.log" becomes "log x.log".';

-- What the ingest stage writes of a file it read: from a local source (a directory of the
-- ingest host) the file names only; from an archive target, as written (the archive's paths).
CREATE OR REPLACE FUNCTION source_paths_shown(message text, source text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT
  AS $$ SELECT CASE WHEN $2 LIKE 'local:%' THEN file_names_only($1) ELSE $1 END $$;
COMMENT ON FUNCTION source_paths_shown(text, text) IS 'The message as readers see it: file names only when source is local ("local:<dir>"), else as written.';

-- Where nocturne archived the quicklook `file_name` of a load's observation (the latest
-- verified copy of that name from the load's pipeline; codes such as SPoCA write a path
-- in QCLK_FNAME: its file name counts). SECURITY DEFINER: the readers of
-- the catalogue do not read the transfer ledger itself; its search_path is fixed, and
-- PUBLIC's right to call it taken away, at the end of the install (03_analysts.sql).
CREATE OR REPLACE FUNCTION quicklook_url(load_id bigint, file_name text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER
  AS $$
    SELECT coalesce(t.public_url, t.target || ':' || t.remote_path)
      FROM transfers t
      JOIN ingested_sets s ON s.pipeline = t.pipeline
     WHERE s.id = $1 AND t.kind = 'output' AND t.state IN ('renamed', 'checked', 'deleted', 'kept')
       AND regexp_replace(t.remote_path, '^.*/', '') = regexp_replace($2, '^.*/', '')
     ORDER BY t.id DESC
     LIMIT 1
  $$;
COMMENT ON FUNCTION quicklook_url(bigint, text) IS 'Where nocturne archived and verified the file file_name (its last path element) uploaded by the pipeline of load load_id: the target''s publicUrl followed by the remote path, or "<target>:<remote path>"; NULL when it did not.';

-- The HQI views of the HFC (names kept: analysts' queries and HFCPy use them): one row
-- per feature with its code, instrument and observation. quicklook_url and night are
-- looked up only when a query asks for them (scalar expressions of an inlined view).
CREATE OR REPLACE VIEW view_sunspots_hqi AS
  SELECT i.institut, i.code, i.version, i.feature_name,
         o.observat, o.instrume, o.telescop, o.wavename, o.wavemin, o.wavemax, o.waveunit,
         ob.date_obs, ob.date_end, ob.c_rotation, ob.filename, ob.url, ob.qclk_url, ob.qclk_fname,
         coalesce(quicklook_url(ob.load_id, ob.qclk_fname),
                  CASE WHEN ob.qclk_fname IS NOT NULL THEN concat(rtrim(ob.qclk_url, '/') || '/', ob.qclk_fname) END) AS snapshot,
         quicklook_url(ob.load_id, ob.qclk_fname) AS quicklook_url,
         (SELECT s.night FROM ingested_sets s WHERE s.id = f.load_id) AS night,
         m.filename AS filename_m,
         f.*
    FROM sunspots f
    JOIN frc_info i ON i.id_frc_info = f.frc_info_id
    JOIN observations ob ON ob.id_observations = f.observations_id_ic
    JOIN observatory o ON o.id_observatory = ob.observatory_id
    LEFT JOIN observations m ON m.id_observations = f.observations_id_m;
COMMENT ON VIEW view_sunspots_hqi IS 'Sunspots with their code (frc_info), instrument (observatory) and continuum observation (observations): VIEW_SUNSPOTS_HQI of the HFC.';
COMMENT ON COLUMN view_sunspots_hqi.filename_m IS 'Name of the magnetogram observation file (observations.filename of observations_id_m).';

CREATE OR REPLACE VIEW view_ar_hqi AS
  SELECT i.institut, i.code, i.version, i.feature_name,
         o.observat, o.instrume, o.telescop, o.wavename, o.wavemin, o.wavemax, o.waveunit,
         ob.date_obs, ob.date_end, ob.c_rotation, ob.filename, ob.url, ob.qclk_url, ob.qclk_fname,
         coalesce(quicklook_url(ob.load_id, ob.qclk_fname),
                  CASE WHEN ob.qclk_fname IS NOT NULL THEN concat(rtrim(ob.qclk_url, '/') || '/', ob.qclk_fname) END) AS snapshot,
         quicklook_url(ob.load_id, ob.qclk_fname) AS quicklook_url,
         (SELECT s.night FROM ingested_sets s WHERE s.id = f.load_id) AS night,
         f.*
    FROM activeregions f
    JOIN frc_info i ON i.id_frc_info = f.frc_info_id
    JOIN observations ob ON ob.id_observations = f.observations_id
    JOIN observatory o ON o.id_observatory = ob.observatory_id;
COMMENT ON VIEW view_ar_hqi IS 'Active regions with their code (frc_info), instrument (observatory) and observation (observations): VIEW_AR_HQI of the HFC.';

CREATE OR REPLACE VIEW view_type_iii_hqi AS
  SELECT i.institut, i.code, i.version, i.feature_name,
         o.observat, o.instrume, o.telescop, o.freqmin, o.freqmax, o.frequnit,
         ob.date_obs, ob.date_end, ob.filename, ob.url, ob.qclk_url, ob.qclk_fname,
         coalesce(quicklook_url(ob.load_id, ob.qclk_fname),
                  CASE WHEN ob.qclk_fname IS NOT NULL THEN concat(rtrim(ob.qclk_url, '/') || '/', ob.qclk_fname) END) AS snapshot,
         quicklook_url(ob.load_id, ob.qclk_fname) AS quicklook_url,
         (SELECT s.night FROM ingested_sets s WHERE s.id = f.load_id) AS night,
         f.*
    FROM type_iii f
    JOIN frc_info i ON i.id_frc_info = f.frc_info_id
    JOIN observations ob ON ob.id_observations = f.observations_id
    JOIN observatory o ON o.id_observatory = ob.observatory_id;
COMMENT ON VIEW view_type_iii_hqi IS 'Type III radio bursts with their code (frc_info), instrument (observatory) and dynamic spectrum (observations): VIEW_TYPE_III_HQI of the HFC.';

-- A column of an HQI view means what it means in the table it comes from: its comment is
-- copied from the feature table, else observations, observatory, frc_info (first that has it).
DO $$
DECLARE
  col record;
BEGIN
  FOR col IN
    SELECT v.view, v.feature, a.attname AS name,
           coalesce(col_description(v.feature::regclass, f.attnum), col_description('observations'::regclass, ob.attnum),
                    col_description('observatory'::regclass, o.attnum), col_description('frc_info'::regclass, i.attnum)) AS description
      FROM (VALUES ('view_sunspots_hqi', 'sunspots'), ('view_ar_hqi', 'activeregions'), ('view_type_iii_hqi', 'type_iii')) AS v(view, feature)
      JOIN pg_attribute a ON a.attrelid = v.view::regclass AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attribute f ON f.attrelid = v.feature::regclass AND f.attname = a.attname
      LEFT JOIN pg_attribute ob ON ob.attrelid = 'observations'::regclass AND ob.attname = a.attname
      LEFT JOIN pg_attribute o ON o.attrelid = 'observatory'::regclass AND o.attname = a.attname
      LEFT JOIN pg_attribute i ON i.attrelid = 'frc_info'::regclass AND i.attname = a.attname
  LOOP
    CONTINUE WHEN col.description IS NULL;  -- view-only columns: commented below
    EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', col.view, col.name, col.description);
  END LOOP;
END
$$;
DO $$
DECLARE
  v text;
BEGIN
  FOREACH v IN ARRAY ARRAY['view_sunspots_hqi', 'view_ar_hqi', 'view_type_iii_hqi'] LOOP
    EXECUTE format('COMMENT ON COLUMN %I.snapshot IS %L', v,
      'Where the quicklook image of the observation can be seen: quicklook_url when nocturne archived it, else what the code wrote (qclk_url "/" qclk_fname, possibly a bare file name); NULL when there is no quicklook.');
    EXECUTE format('COMMENT ON COLUMN %I.quicklook_url IS %L', v,
      'Where nocturne archived and verified the quicklook (qclk_fname) of the observation: the target''s publicUrl followed by the remote path, or "<target>:<remote path>" when the target declares no publicUrl. NULL when nocturne did not archive it (quarantined, not uploaded yet, or made elsewhere).');
    EXECUTE format('COMMENT ON COLUMN %I.night IS %L', v,
      'Observing night of the set the feature was loaded from (set_loads.night).');
  END LOOP;
END
$$;

-- Ledger views. Single-CSV pipelines (ingest.table) record files in ingested_files; set
-- pipelines (ingest.sets) record set loads in ingested_sets.

CREATE OR REPLACE VIEW set_loads AS
  SELECT s.id AS load_id, s.pipeline, s.code, s.code_version, s.source, s.set_key, s.kind, s.status, s.rows,
         s.replaced_by, s.members, s.error, s.report, s.run_id, s.first_seen_at, s.finished_at, s.replaced_at, s.incomplete, s.night
    FROM ingested_sets s;
COMMENT ON VIEW set_loads IS 'Every load of a file set (init + feat, or a track file) and what became of it. Catalogue rows carry the load_id of the load that inserted them.';
COMMENT ON COLUMN set_loads.load_id IS 'Ledger row of the load (ingested_sets.id); catalogue rows with this load_id came from it.';
COMMENT ON COLUMN set_loads.pipeline IS 'Pipeline that read the set.';
COMMENT ON COLUMN set_loads.code IS 'Detection code that wrote the set.';
COMMENT ON COLUMN set_loads.code_version IS 'Version of that code.';
COMMENT ON COLUMN set_loads.source IS 'Where the files were listed ("local:<dir>" or "<target>:<dir>").';
COMMENT ON COLUMN set_loads.set_key IS 'The set: its file names without the role, e.g. sdoss_106_20140221T000045_sdo (a track file: its file name).';
COMMENT ON COLUMN set_loads.kind IS 'set (init and feat files) or track (a tracking file).';
COMMENT ON COLUMN set_loads.status IS 'loaded: its rows are in the catalogue; replaced: a changed re-emission of the set replaced them (see replaced_by); refused: a changed re-emission not loaded (reemitted: keep); rejected: bad input, nothing loaded; waiting: a member is still missing.';
COMMENT ON COLUMN set_loads.rows IS 'Rows inserted per table, e.g. {"observations": 2, "sunspots": 14}.';
COMMENT ON COLUMN set_loads.replaced_by IS 'For a replaced load: the load that replaced it.';
COMMENT ON COLUMN set_loads.members IS 'The files of the set: [{role, path, sha256, size, modified}] (modified: as listed, when the source gives it).';
COMMENT ON COLUMN set_loads.error IS 'For a rejected or refused load: the first located error (or the reason of the refusal), "file:line[:column]: reason". For a loaded track file: how many of its rows a replace of their features'' set removed since.';
COMMENT ON COLUMN set_loads.report IS 'For a rejected load: all errors found.';
COMMENT ON COLUMN set_loads.run_id IS 'The stage run that recorded the load.';
COMMENT ON COLUMN set_loads.first_seen_at IS 'When a member of the set was first seen (a waiting set is rejected initWait after this).';
COMMENT ON COLUMN set_loads.finished_at IS 'When the load was committed, refused or rejected (a replaced load keeps the time it was committed).';
COMMENT ON COLUMN set_loads.replaced_at IS 'For a replaced load: when it was replaced.';
COMMENT ON COLUMN set_loads.night IS 'Observing night of the set: the date in its file names, in the time zone of the pipeline''s run stage (as nocturne names the nights it runs); NULL when the names carry no date.';
COMMENT ON COLUMN set_loads.incomplete IS 'For a rejected set: true when a member never arrived within initWait (it loads once the member is there).';

CREATE OR REPLACE VIEW ingestion_stats AS
  SELECT f.night,
         (f.finished_at AT TIME ZONE 'UTC')::date AS load_date,
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
         coalesce(sum(f.rows_quarantined), 0) AS rows_quarantined,
         'file'::text AS unit
    FROM ingested_files f
   WHERE f.status IN ('loaded', 'rejected')
   GROUP BY 1, 2, 3, 4, 5, 6
  UNION ALL
  -- A set counts once per table it wrote to; a rejected set, which wrote nothing, under target_table NULL.
  SELECT s.night,
         (s.finished_at AT TIME ZONE 'UTC')::date,
         s.code,
         s.code_version,
         s.pipeline,
         t.key,
         count(*) FILTER (WHERE s.status IN ('loaded', 'replaced')),
         count(*) FILTER (WHERE s.status = 'rejected'),
         coalesce(sum(t.value::bigint), 0),
         coalesce(sum(t.value::bigint), 0),
         0,
         0,
         0,
         'set'
    FROM ingested_sets s
    LEFT JOIN LATERAL jsonb_each_text(s.rows) t ON s.status <> 'rejected'
   WHERE s.status IN ('loaded', 'replaced', 'rejected')
   GROUP BY 1, 2, 3, 4, 5, 6;
COMMENT ON VIEW ingestion_stats IS 'Ingestion counts per observing night, load date, code version, pipeline and table; unit tells single files from file sets. A night processed again later counts under the same night, on another load_date.';
COMMENT ON COLUMN ingestion_stats.night IS 'Observing night of the files or sets: the date in their names, in the time zone of the pipeline''s run stage (as nocturne names the nights it runs); NULL when the names carry no date.';
COMMENT ON COLUMN ingestion_stats.load_date IS 'UTC date on which the files or sets were loaded or rejected.';
COMMENT ON COLUMN ingestion_stats.code IS 'Detection code (pipeline code.name).';
COMMENT ON COLUMN ingestion_stats.code_version IS 'Detection code version (pipeline code.version).';
COMMENT ON COLUMN ingestion_stats.pipeline IS 'Pipeline that ingested the files.';
COMMENT ON COLUMN ingestion_stats.target_table IS 'Catalogue table the files were loaded into (sets: each table a set wrote to; NULL for rejected sets).';
COMMENT ON COLUMN ingestion_stats.files_loaded IS 'Files (unit file) or sets (unit set, replaced ones included) loaded.';
COMMENT ON COLUMN ingestion_stats.files_rejected IS 'Files or sets refused as a whole (nothing of them loaded).';
COMMENT ON COLUMN ingestion_stats.rows_read IS 'Data records read from the files (sets: the rows inserted).';
COMMENT ON COLUMN ingestion_stats.rows_inserted IS 'Rows added to the catalogue.';
COMMENT ON COLUMN ingestion_stats.rows_updated IS 'Existing rows changed (pipelines with onConflict: update; 0 for sets).';
COMMENT ON COLUMN ingestion_stats.rows_conflicting IS 'Rows whose natural key was already present (0 for sets).';
COMMENT ON COLUMN ingestion_stats.rows_quarantined IS 'Bad rows set aside (see quarantined_rows; 0 for sets, which are loaded whole or not at all).';
COMMENT ON COLUMN ingestion_stats.unit IS 'file: single-CSV pipelines (ingest.table); set: file-set pipelines (ingest.sets).';

CREATE OR REPLACE VIEW quarantined_rows AS
  SELECT q.id, f.pipeline, f.code, f.code_version, f.path, f.sha256, f.id AS ingested_file_id, f.status AS file_status,
         q.line, q.raw, q.reason, f.finished_at AS ingested_at
    FROM quarantine_rows q
    JOIN ingested_files f ON f.id = q.file_id;
COMMENT ON VIEW quarantined_rows IS 'Bad rows set aside while the rest of their file was loaded (single-CSV pipelines with badRows.policy: quarantine).';
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

-- security_barrier: what the view leaves out (files that loaded) stays out of reach of
-- the functions in a reader's own WHERE clause.
CREATE OR REPLACE VIEW rejected_files WITH (security_barrier) AS
  SELECT f.id AS ingested_file_id, f.pipeline, f.code, f.code_version, f.source, f.path, f.sha256, f.size_bytes,
         f.error, f.report, f.finished_at AS rejected_at, f.night
    FROM ingested_files f
   -- Not made good since (a later load of the same path): the rule nocturne retry and status use.
   WHERE f.id IN (SELECT id FROM open_rejected_files);
COMMENT ON VIEW rejected_files IS 'Files of single-CSV pipelines refused as a whole and not made good since (a later load of the same path): nothing of them is in the catalogue. They are not retried until their content changes. Sets: see rejected_sets.';
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
COMMENT ON COLUMN rejected_files.night IS 'Observing night: the date in the file name, in the time zone of the pipeline''s run stage (NULL when the name carries none).';

CREATE OR REPLACE VIEW rejected_sets AS
  SELECT s.load_id, s.pipeline, s.code, s.code_version, s.source, s.set_key, s.kind, s.status, s.members,
         s.error, s.report, s.finished_at AS rejected_at, s.night, s.incomplete
    FROM set_loads s
   -- Not made good since (a later load of the key): the rule nocturne retry and status use.
   WHERE s.load_id IN (SELECT id FROM open_rejected_sets);
COMMENT ON VIEW rejected_sets IS 'File sets not loaded and not made good since: rejected (bad input or a member that never arrived; nothing of the set is in the catalogue) or refused (a changed re-emission under reemitted: keep). Not retried until their content changes, except a set rejected as incomplete: it loads once its missing member arrives. A later load of the same set key makes a rejection good (for a set rejected as incomplete, a load with features); set_loads keeps every attempt.';
COMMENT ON COLUMN rejected_sets.load_id IS 'Ledger row (ingested_sets.id; delete it to have the same content tried again).';
COMMENT ON COLUMN rejected_sets.pipeline IS 'Pipeline that read the set.';
COMMENT ON COLUMN rejected_sets.code IS 'Detection code that wrote the set.';
COMMENT ON COLUMN rejected_sets.code_version IS 'Version of that code.';
COMMENT ON COLUMN rejected_sets.source IS 'Where the files were listed ("local:<dir>" or "<target>:<dir>").';
COMMENT ON COLUMN rejected_sets.set_key IS 'The set: its file names without the role (a track file: its file name).';
COMMENT ON COLUMN rejected_sets.kind IS 'set (init and feat files) or track (a tracking file).';
COMMENT ON COLUMN rejected_sets.status IS 'rejected or refused.';
COMMENT ON COLUMN rejected_sets.members IS 'The files of the set: [{role, path, sha256, size, modified}] (modified: as listed, when the source gives it).';
COMMENT ON COLUMN rejected_sets.error IS 'First located error: "file:line[:column]: reason", or the missing member.';
COMMENT ON COLUMN rejected_sets.report IS 'All errors found.';
COMMENT ON COLUMN rejected_sets.rejected_at IS 'When the set was rejected or refused.';
COMMENT ON COLUMN rejected_sets.incomplete IS 'Rejected because a member never arrived (loads once it is there).';
COMMENT ON COLUMN rejected_sets.night IS 'Observing night of the set (set_loads.night).';
