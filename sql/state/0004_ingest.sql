-- The ingest ledger: one row per distinct file content loaded (or refused) per source.
-- Rows are written inside the transaction that loads the file, so a file is either
-- loaded and recorded, or neither (a crash or kill -9 leaves it pending).

CREATE TABLE ingested_files (
  id               bigserial   PRIMARY KEY,
  source           text        NOT NULL,
  path             text        NOT NULL,
  sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes       bigint      NOT NULL,
  modified_at      timestamptz,
  pipeline         text        NOT NULL,
  code             text        NOT NULL,
  code_version     text        NOT NULL,
  run_id           bigint,
  target_table     text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('loading', 'loaded', 'rejected')),
  rows_read        integer     NOT NULL DEFAULT 0,
  rows_inserted    integer     NOT NULL DEFAULT 0,
  rows_updated     integer     NOT NULL DEFAULT 0,
  rows_conflicting integer     NOT NULL DEFAULT 0,
  rows_quarantined integer     NOT NULL DEFAULT 0,
  error            text,
  report           jsonb,
  host             text        NOT NULL,
  started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at      timestamptz,
  UNIQUE (source, sha256)
);
-- Lets a run skip files it has already seen (same path, size and mtime) without reading them.
CREATE INDEX ingested_files_path ON ingested_files (source, path);
CREATE INDEX ingested_files_finished ON ingested_files (finished_at);

COMMENT ON TABLE ingested_files IS 'Ingest ledger: each file content (sha256) of each source is loaded exactly once. Catalogue rows point here through ingested_file_id.';
COMMENT ON COLUMN ingested_files.source IS 'Where the file was listed: "local:<directory>" or "<target>:<remote directory>".';
COMMENT ON COLUMN ingested_files.path IS 'Full path of the file (local or remote) when it was read.';
COMMENT ON COLUMN ingested_files.sha256 IS 'SHA-256 of exactly the bytes parsed. A changed file is a new row; a rejected one is never retried until its content changes.';
COMMENT ON COLUMN ingested_files.modified_at IS 'Modification time of a local file (NULL for remote files), used with path and size to skip files already seen.';
COMMENT ON COLUMN ingested_files.run_id IS 'The row of runs that loaded the file (no foreign key: run history may be pruned).';
COMMENT ON COLUMN ingested_files.status IS 'loaded, or rejected (bad input, nothing of it loaded). "loading" exists only inside the loading transaction.';
COMMENT ON COLUMN ingested_files.rows_read IS 'Data records read from the file (header excluded).';
COMMENT ON COLUMN ingested_files.rows_inserted IS 'Rows added to target_table.';
COMMENT ON COLUMN ingested_files.rows_updated IS 'Rows of target_table changed by this file (onConflict: update).';
COMMENT ON COLUMN ingested_files.rows_conflicting IS 'Rows whose natural key was already in target_table (updated or left alone).';
COMMENT ON COLUMN ingested_files.rows_quarantined IS 'Bad rows set aside in quarantine_rows instead of being loaded.';
COMMENT ON COLUMN ingested_files.error IS 'For a rejected file: the first located error, "file:line[:column]: reason".';
COMMENT ON COLUMN ingested_files.report IS 'For a rejected file: {"issues": [{line, column, value, reason}...], "truncated": bool}.';
COMMENT ON COLUMN ingested_files.host IS 'Host name of the process that loaded the file.';

CREATE TABLE quarantine_rows (
  id       bigserial PRIMARY KEY,
  file_id  bigint    NOT NULL REFERENCES ingested_files (id) ON DELETE CASCADE,
  line     integer   NOT NULL,
  raw      text      NOT NULL,
  reason   text      NOT NULL,
  UNIQUE (file_id, line)
);

COMMENT ON TABLE quarantine_rows IS 'Bad rows of files loaded with badRows.policy = quarantine: the rest of the file was loaded.';
COMMENT ON COLUMN quarantine_rows.line IS 'Line of the file where the record starts (the header is line 1).';
COMMENT ON COLUMN quarantine_rows.raw IS 'The record as read from the file (decoded text).';
COMMENT ON COLUMN quarantine_rows.reason IS 'Why it was refused: "column: reason".';
