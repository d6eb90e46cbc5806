-- The catalogue as analysts use it (issue 22): what went wrong per observing night, what
-- nocturne archived, where a row comes from, and the read-only role. Like 02_views.sql,
-- state tables are found through search_path ("<catalogue schema>, <state schema>").
--
-- The views and functions here read nocturne's state tables with their owner's rights
-- (a view always does; the functions are SECURITY DEFINER): a reader is granted these,
-- never the state schema. What they do not show (local paths, logs, job scripts,
-- submission arguments) stays out of reach.

-- Files nocturne uploaded and verified on an archive target.
CREATE OR REPLACE VIEW archived_files WITH (security_barrier) AS
  SELECT t.id AS transfer_id, t.pipeline, t.night, t.kind, regexp_replace(t.remote_path, '^.*/', '') AS file_name,
         t.target, t.remote_path, coalesce(t.public_url, t.target || ':' || t.remote_path) AS url,
         t.size_bytes, t.verify_method, t.local_sha256 AS sha256,
         (SELECT max(e.at) FROM transfer_events e WHERE e.transfer_id = t.id AND e.to_state = 'verified') AS verified_at
    FROM transfers t
   WHERE t.state IN ('renamed', 'checked', 'deleted', 'kept');
COMMENT ON VIEW archived_files IS 'Files nocturne uploaded to an archive target and verified there (the copy at the final name), with where each can be seen.';
COMMENT ON COLUMN archived_files.transfer_id IS 'The transfer that put the file there (nocturne ledger transfers.id).';
COMMENT ON COLUMN archived_files.pipeline IS 'Pipeline whose outbox the file came from.';
COMMENT ON COLUMN archived_files.night IS 'Observing night of the file: the date in its name, in the time zone of the pipeline''s run stage; NULL when the name carries no date.';
COMMENT ON COLUMN archived_files.kind IS 'output: a file the code wrote (CSV, quicklook); thumbnail: made by nocturne from a quicklook.';
COMMENT ON COLUMN archived_files.file_name IS 'File name on the archive.';
COMMENT ON COLUMN archived_files.target IS 'Archive target (a name of config/nocturne.yaml targets).';
COMMENT ON COLUMN archived_files.remote_path IS 'Path of the file on the target.';
COMMENT ON COLUMN archived_files.url IS 'Where the file can be seen: the target''s publicUrl followed by remote_path, or "<target>:<remote_path>" when the target declares no publicUrl.';
COMMENT ON COLUMN archived_files.size_bytes IS 'Size of the file, bytes.';
COMMENT ON COLUMN archived_files.verify_method IS 'How the copy was verified: size, size+sha256-readback, size+sha256-server.';
COMMENT ON COLUMN archived_files.sha256 IS 'SHA-256 of the file, when the verify method computed one.';
COMMENT ON COLUMN archived_files.verified_at IS 'When the copy was last verified.';

-- The first issue of a rejection report ({"issues": [{file, line, column, value, reason}]})
-- that has a place in a file (`file`: the file, when the issues do not name it).
CREATE OR REPLACE FUNCTION first_located_issue(report jsonb, file text) RETURNS TABLE (location text, reason text)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog
  AS $$
    SELECT concat_ws(':', coalesce(issue ->> 'file', $2), issue ->> 'line', issue ->> 'column'),
           concat(issue ->> 'reason', ' [' || to_json(issue ->> 'value')::text || ']')
      FROM jsonb_array_elements($1 -> 'issues') AS issue
     WHERE (issue ->> 'line')::int > 0
     LIMIT 1
  $$;
COMMENT ON FUNCTION first_located_issue(jsonb, text) IS 'The first located issue of a rejection report: "file:line[:column]" and the reason (the value in brackets).';

-- One row per problem of a night, whatever stage met it. Nights: the run stage's night of
-- the observation (failed observations), else the night of the file or set.
CREATE OR REPLACE VIEW night_problems WITH (security_barrier) AS
  SELECT o.night, o.pipeline, 'run'::text AS stage, 'failed observation'::text AS problem, o.obs AS retry_name,
         NULL::text AS location, file_names_only(coalesce(t.reason, o.last_error)) AS reason, t.exit_code, o.failures AS attempts,
         o.updated_at AS recorded_at
    FROM run_observations o
    LEFT JOIN LATERAL (SELECT t.reason, t.exit_code FROM job_tasks t
                        WHERE t.pipeline = o.pipeline AND t.input = o.input ORDER BY t.job DESC, t.task_index DESC LIMIT 1) t ON true
   WHERE o.state = 'failed'
  UNION ALL
  SELECT t.night, t.pipeline, 'upload', CASE WHEN t.local_path ~* '\.(jpe?g|png)$' THEN 'quarantined quicklook' ELSE 'quarantined file' END,
         regexp_replace(t.local_path, '^.*/', ''), NULL, file_names_only(t.error), NULL, NULL, t.updated_at
    FROM transfers t
   WHERE t.id IN (SELECT id FROM open_quarantined_transfers)
  UNION ALL
  SELECT s.night, s.pipeline, 'ingest', CASE WHEN s.status = 'refused' THEN 'refused set' WHEN s.incomplete THEN 'incomplete set' ELSE 'rejected set' END,
         s.set_key, source_paths_shown(i.location, s.source), source_paths_shown(coalesce(i.reason, s.error), s.source), NULL, NULL, s.rejected_at
    FROM rejected_sets s
    LEFT JOIN LATERAL first_located_issue(s.report, NULL) i ON true
  UNION ALL
  SELECT f.night, f.pipeline, 'ingest', 'rejected file', source_paths_shown(f.path, f.source), source_paths_shown(i.location, f.source),
         source_paths_shown(coalesce(i.reason, f.error), f.source), NULL, NULL, f.rejected_at
    FROM rejected_files f
    LEFT JOIN LATERAL first_located_issue(f.report, f.path) i ON true
  UNION ALL
  SELECT f.night, f.pipeline, 'ingest', 'quarantined row', source_paths_shown(f.path, f.source),
         source_paths_shown(f.path || ':' || q.line, f.source), source_paths_shown(q.reason, f.source), NULL, NULL, f.finished_at
    FROM quarantine_rows q
    JOIN ingested_files f ON f.id = q.file_id;
COMMENT ON VIEW night_problems IS 'What went wrong, per observing night and pipeline, in every stage: failed observations (run), quarantined quicklooks (upload), rejected or refused sets and rejected files not made good since (rejected_sets, rejected_files), quarantined rows (ingest). retry_name is what to give nocturne retry. Files read from a local source are named without their directories.';
COMMENT ON COLUMN night_problems.night IS 'Observing night: of the observation as the run stage processed it, else the date in the file or set names in the time zone of the pipeline''s run stage (NULL when the names carry no date).';
COMMENT ON COLUMN night_problems.pipeline IS 'Pipeline that met the problem.';
COMMENT ON COLUMN night_problems.stage IS 'Stage that met it: run, upload or ingest.';
COMMENT ON COLUMN night_problems.problem IS 'failed observation, quarantined quicklook (or file), rejected set, incomplete set (a member never arrived), refused set (changed re-emission, reemitted: keep), rejected file, quarantined row.';
COMMENT ON COLUMN night_problems.retry_name IS 'The item''s natural name, to give nocturne retry: the observation name (failed observation), the file name (quarantined file), the set key (sets), the file path on the archive, or the file name for a local source (rejected file, quarantined row).';
COMMENT ON COLUMN night_problems.location IS 'Where in the input the first error is, "file:line[:column]" (column: the CSV header); NULL for problems not located in a file.';
COMMENT ON COLUMN night_problems.reason IS 'Why, in words (the value found in brackets, when one field is to blame).';
COMMENT ON COLUMN night_problems.exit_code IS 'Failed observation: exit code of the detection code at its last attempt (NULL when it ended by a signal or its job never ran).';
COMMENT ON COLUMN night_problems.attempts IS 'Failed observation: attempts that failed.';
COMMENT ON COLUMN night_problems.recorded_at IS 'When the problem was recorded (the load or rejection date for ingest problems).';

-- Lineage of one load: a row per member file. Column list: see the COMMENT ON COLUMN
-- lines below; columns are only ever appended (web monitor, analysts' scripts).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'lineage_row' AND typnamespace = current_schema()::regnamespace) THEN
    CREATE TYPE lineage_row AS (
      load_id bigint, load_status text, pipeline text, code text, code_version text, set_key text, kind text,
      night date, loaded_at timestamptz, source text, load_run_id bigint,
      role text, file_name text, file_path text, sha256 text, size_bytes bigint,
      transfer_id bigint, target text, remote_path text, transfer_state text, verify_method text, verified_at timestamptz,
      archive_url text, transfer_run_id bigint,
      job_id bigint, executor text, scheduler_id text, task_index integer, slurm_job text, node text, attempt integer,
      task_state text, exit_code integer, task_started_at timestamptz, task_finished_at timestamptz, elapsed_seconds double precision,
      observation text, observation_night date, job_run_id bigint, job_code_version text
    );
  END IF;
  -- Installed before job_code_version: the column is appended, like any later one.
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = format('%I.lineage_row', current_schema())::regclass AND attname = 'job_code_version') THEN
    ALTER TYPE lineage_row ADD ATTRIBUTE job_code_version text;
  END IF;
END
$$;
COMMENT ON TYPE lineage_row IS 'A row of lineage(): one member file of a catalogue load, with the transfer that archived it and the task that produced it.';
COMMENT ON COLUMN lineage_row.load_id IS 'The load (set_loads.load_id): catalogue rows with this load_id came from it.';
COMMENT ON COLUMN lineage_row.load_status IS 'loaded, replaced, refused, rejected or waiting (set_loads.status).';
COMMENT ON COLUMN lineage_row.pipeline IS 'Pipeline that loaded the set.';
COMMENT ON COLUMN lineage_row.code IS 'Detection code that wrote the set.';
COMMENT ON COLUMN lineage_row.code_version IS 'Version of that code (the pipeline''s code.version when the set was loaded); job_code_version: the version the job ran.';
COMMENT ON COLUMN lineage_row.set_key IS 'The set: its file names without the role (a track file: its name).';
COMMENT ON COLUMN lineage_row.kind IS 'set or track.';
COMMENT ON COLUMN lineage_row.night IS 'Observing night of the set.';
COMMENT ON COLUMN lineage_row.loaded_at IS 'When the load was committed (or the set rejected or refused).';
COMMENT ON COLUMN lineage_row.source IS 'Where the files were read: "<target>:<dir>" or "local:<dir>".';
COMMENT ON COLUMN lineage_row.load_run_id IS 'Stage run (nocturne history) that loaded the set.';
COMMENT ON COLUMN lineage_row.role IS 'Role of the file in the set: init, feat or track.';
COMMENT ON COLUMN lineage_row.file_name IS 'Name of the member file.';
COMMENT ON COLUMN lineage_row.file_path IS 'Path of the member file where the loader read it (on the archive for a target source).';
COMMENT ON COLUMN lineage_row.sha256 IS 'SHA-256 of the member file as loaded.';
COMMENT ON COLUMN lineage_row.size_bytes IS 'Size of the member file as loaded, bytes.';
COMMENT ON COLUMN lineage_row.transfer_id IS 'The transfer that put this file on the archive (archived_files.transfer_id); NULL when nocturne did not upload it (local source, or uploaded by something else).';
COMMENT ON COLUMN lineage_row.target IS 'Archive target of the transfer.';
COMMENT ON COLUMN lineage_row.remote_path IS 'Path of the file on the target.';
COMMENT ON COLUMN lineage_row.transfer_state IS 'State of the transfer: renamed, checked, deleted (local copy removed) or kept.';
COMMENT ON COLUMN lineage_row.verify_method IS 'How the archived copy was verified: size, size+sha256-readback, size+sha256-server.';
COMMENT ON COLUMN lineage_row.verified_at IS 'When the archived copy was verified.';
COMMENT ON COLUMN lineage_row.archive_url IS 'Where the archived file can be seen (archived_files.url).';
COMMENT ON COLUMN lineage_row.transfer_run_id IS 'Stage run that last moved the transfer.';
COMMENT ON COLUMN lineage_row.job_id IS 'The job (one submission) whose task published the file (nocturne ledger jobs.id); NULL when no task of this nocturne did.';
COMMENT ON COLUMN lineage_row.executor IS 'slurm or local.';
COMMENT ON COLUMN lineage_row.scheduler_id IS 'SLURM job id of the submission (the array''s id for an array); for the local executor, its own id.';
COMMENT ON COLUMN lineage_row.task_index IS 'Array task id (0 for a single job).';
COMMENT ON COLUMN lineage_row.slurm_job IS 'The task as SLURM names it: <array id>_<task> for an array task, else the job id (sacct -j).';
COMMENT ON COLUMN lineage_row.node IS 'Node the task ran on, as SLURM names it (the local executor: the host''s name); NULL for tasks recorded before nocturne kept it.';
COMMENT ON COLUMN lineage_row.attempt IS 'Attempt at the observation (1 = first).';
COMMENT ON COLUMN lineage_row.task_state IS 'State of the task: completed (only completed tasks publish files).';
COMMENT ON COLUMN lineage_row.exit_code IS 'Exit code of the detection code.';
COMMENT ON COLUMN lineage_row.task_started_at IS 'When the task started running.';
COMMENT ON COLUMN lineage_row.task_finished_at IS 'When its end was recorded.';
COMMENT ON COLUMN lineage_row.elapsed_seconds IS 'task_finished_at - task_started_at, seconds.';
COMMENT ON COLUMN lineage_row.observation IS 'The input observation: its name ({obs}, the input file name without extension).';
COMMENT ON COLUMN lineage_row.observation_night IS 'The night the run stage processed the observation for.';
COMMENT ON COLUMN lineage_row.job_run_id IS 'Stage run that submitted the job.';
COMMENT ON COLUMN lineage_row.job_code_version IS 'Version of the detection code the job ran: the pipeline''s code.version when the job was submitted; NULL for jobs submitted before nocturne kept it.';

CREATE OR REPLACE FUNCTION lineage(load_id bigint) RETURNS SETOF lineage_row
  LANGUAGE sql STABLE SECURITY DEFINER
  AS $$
    SELECT s.id, s.status, s.pipeline, s.code, s.code_version, s.set_key, s.kind, s.night, s.finished_at, s.source, s.run_id,
           m.role, regexp_replace(m.path, '^.*/', ''), m.path, m.sha256, m.size,
           x.id, x.target, x.remote_path, x.state, x.verify_method, x.verified_at,
           coalesce(x.public_url, x.target || ':' || x.remote_path), x.run_id,
           j.id, j.executor, j.scheduler_id, t.task_index,
           CASE WHEN j.is_array THEN j.scheduler_id || '_' || t.task_index ELSE j.scheduler_id END, t.node, t.attempt,
           t.state, t.exit_code, t.started_at, t.finished_at, extract(epoch FROM t.finished_at - t.started_at)::double precision,
           t.obs, o.night, j.run_id, j.code_version
      FROM ingested_sets s
     CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(s.members) AS (role text, path text, sha256 text, size bigint))
                        WITH ORDINALITY AS m(role, path, sha256, size, n)
      -- The archived copy the loader read: same target and path, the same content first.
      LEFT JOIN LATERAL (
        SELECT x.id, x.pipeline, x.target, x.remote_path, x.local_path, x.state, x.verify_method, x.public_url, x.run_id,
               (SELECT max(e.at) FROM transfer_events e WHERE e.transfer_id = x.id AND e.to_state = 'verified') AS verified_at
          FROM transfers x
         WHERE x.target = split_part(s.source, ':', 1) AND x.remote_path = m.path AND x.kind = 'output'
           AND x.state IN ('renamed', 'checked', 'deleted', 'kept')
         ORDER BY x.local_sha256 = m.sha256 DESC NULLS LAST, x.id DESC
         LIMIT 1) x ON true
      -- The task that published it into the outbox, under the name it had there.
      LEFT JOIN LATERAL (
        SELECT t.* FROM job_tasks t
         WHERE t.pipeline = coalesce(x.pipeline, s.pipeline) AND t.state = 'completed'
           AND t.outputs ? regexp_replace(coalesce(x.local_path, m.path), '^.*/', '')
         ORDER BY t.job DESC, t.task_index DESC
         LIMIT 1) t ON true
      LEFT JOIN jobs j ON j.id = t.job
      LEFT JOIN run_observations o ON o.pipeline = t.pipeline AND o.input = t.input
     WHERE s.id = $1
     ORDER BY m.n
  $$;
COMMENT ON FUNCTION lineage(bigint) IS 'Where the rows of load load_id come from: one row per member file (lineage_row), with the transfer that archived it and the task and job that produced it. hfc.lineage(load_id).';

CREATE OR REPLACE FUNCTION lineage(set_or_path text) RETURNS SETOF lineage_row
  LANGUAGE sql STABLE SECURITY DEFINER
  AS $$
    SELECT l.*
      -- The load whose rows are in the catalogue, if any: a later rejected attempt (a copy
      -- in another directory) is not where the rows came from.
      FROM (SELECT s.id FROM ingested_sets s
             WHERE s.status <> 'waiting'
               AND (s.set_key = $1 OR s.members @> jsonb_build_array(jsonb_build_object('path', $1)))
             ORDER BY s.status = 'loaded' DESC, s.id DESC
             LIMIT 1) k
     CROSS JOIN LATERAL lineage(k.id) l
  $$;
COMMENT ON FUNCTION lineage(text) IS 'lineage(load_id) of the load of a set key whose rows are in the catalogue (else its latest attempt), or likewise of the loads that read the file at this (archive) path. Other loads: by their load_id (set_loads).';

-- GRANT of a reader: the catalogue's tables, views and functions, nothing else. A
-- procedure, so that "ALL FUNCTIONS" does not hand it to the readers themselves.
CREATE OR REPLACE PROCEDURE grant_reader(reader regrole)
  LANGUAGE plpgsql
  AS $$
  BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', current_schema(), reader);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %s', current_schema(), reader);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO %s', current_schema(), reader);
  END
  $$;
COMMENT ON PROCEDURE grant_reader(regrole) IS 'Makes a role a reader of this catalogue: SELECT on its tables and views, EXECUTE on its functions (nocturne db grant-reader).';

-- Routines that run with their owner's rights, or that grant: a fixed search_path (pg_temp
-- last, so that no temporary table of the caller can stand in for a state table), and
-- only those granted may call them.
DO $$
DECLARE
  r regprocedure;
  path text := (SELECT string_agg(quote_ident(s), ', ') FROM unnest(current_schemas(false)) AS s);
BEGIN
  FOR r IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.pronamespace = current_schema()::regnamespace AND (p.prosecdef OR p.prokind = 'p')
  LOOP
    EXECUTE format('ALTER ROUTINE %s SET search_path = %s, pg_temp', r, path);
    EXECUTE format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', r);
  END LOOP;
END
$$;

-- The readers of an earlier install (roles given USAGE on this schema) read what this one
-- added or re-created too.
DO $$
DECLARE
  reader regrole;
BEGIN
  FOR reader IN
    SELECT DISTINCT a.grantee::regrole FROM pg_namespace n, aclexplode(n.nspacl) AS a
     WHERE n.oid = current_schema()::regnamespace AND a.privilege_type = 'USAGE' AND a.grantee <> 0 AND a.grantee <> n.nspowner
  LOOP
    CALL grant_reader(reader);
  END LOOP;
END
$$;
