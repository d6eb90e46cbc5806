-- The ledger of HFC file sets (ingest sets mode): one row per distinct content of a set
-- (init + feat members) or of a track file, per source. The row of a load is written in
-- the transaction that loads its catalogue rows, so a set is either loaded and recorded,
-- or neither (a crash or kill -9 leaves it pending). Its id is the load_id carried by
-- every catalogue row it wrote.

CREATE TABLE ingested_sets (
  id             bigserial   PRIMARY KEY,
  source         text        NOT NULL,
  pipeline       text        NOT NULL,
  code           text        NOT NULL,
  code_version   text        NOT NULL,
  set_key        text        NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('set', 'track')),
  content_sha256 text        NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  members        jsonb       NOT NULL,
  status         text        NOT NULL CHECK (status IN ('loaded', 'replaced', 'refused', 'rejected', 'waiting')),
  replaced_by    bigint      REFERENCES ingested_sets (id),
  rows           jsonb       NOT NULL DEFAULT '{}',
  error          text,
  report         jsonb,
  run_id         bigint,
  host           text        NOT NULL,
  first_seen_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at    timestamptz,
  replaced_at    timestamptz,
  incomplete     boolean     NOT NULL DEFAULT false
);
-- Each content of a set key once, replaced loads apart: a set re-emitted as A, then B,
-- then A again loads A anew. Named: the loader tells a set loaded meanwhile by another
-- process by this name.
CREATE UNIQUE INDEX ingested_sets_content ON ingested_sets (source, set_key, content_sha256) WHERE status <> 'replaced';
-- At most one live load per set key: a second loader of other content cannot commit.
CREATE UNIQUE INDEX ingested_sets_live ON ingested_sets (source, set_key) WHERE status = 'loaded';
CREATE INDEX ingested_sets_finished ON ingested_sets (finished_at);

COMMENT ON TABLE ingested_sets IS 'Ingest ledger of HFC file sets: each content of each set (or track file) of each source, loaded at most once. Catalogue rows point here through load_id.';
COMMENT ON COLUMN ingested_sets.id IS 'The load id carried by every catalogue row of this load (DELETE ... WHERE load_id = id removes the load).';
COMMENT ON COLUMN ingested_sets.source IS 'Where the files were listed: "local:<directory>" or "<target>:<remote directory>".';
COMMENT ON COLUMN ingested_sets.pipeline IS 'Pipeline whose ingest stage read the set.';
COMMENT ON COLUMN ingested_sets.code IS 'Detection code (pipeline code.name).';
COMMENT ON COLUMN ingested_sets.code_version IS 'Detection code version (pipeline code.version).';
COMMENT ON COLUMN ingested_sets.set_key IS 'The members'' file name without its role, e.g. sdoss_106_20140221T000045_sdo; a track file: its own name.';
COMMENT ON COLUMN ingested_sets.kind IS 'set (init + feat files), or track (a tracking file).';
COMMENT ON COLUMN ingested_sets.content_sha256 IS 'SHA-256 over the members'' "role:name:sha256" lines, sorted: identical re-emitted sets have the same.';
COMMENT ON COLUMN ingested_sets.members IS 'The files read: [{role, path, sha256, size, modified}] (modified: as listed, when the source gives it; with path and size it lets a run skip the set unread).';
COMMENT ON COLUMN ingested_sets.status IS 'loaded; replaced (by replaced_by, re-emitted with other content); refused (re-emitted while reemitted: keep); rejected (bad input or incomplete after initWait, nothing loaded); waiting (incomplete, within initWait).';
COMMENT ON COLUMN ingested_sets.replaced_by IS 'For a replaced load: the load that replaced it.';
COMMENT ON COLUMN ingested_sets.rows IS 'Rows written per table, e.g. {"observations": 2, "sunspots": 14}.';
COMMENT ON COLUMN ingested_sets.error IS 'For a rejected or refused set: the first located error, "file:line[:column]: reason". For a loaded track file: how many of its rows were removed since, and why (a replace of their features'' set with fewer features); rows still counts what was inserted.';
COMMENT ON COLUMN ingested_sets.report IS 'For a rejected set: {"issues": [{file, line, column, value, reason}...], "truncated": bool}.';
COMMENT ON COLUMN ingested_sets.run_id IS 'The row of runs that recorded it (no foreign key: run history may be pruned).';
COMMENT ON COLUMN ingested_sets.host IS 'Host name of the process that recorded it.';
COMMENT ON COLUMN ingested_sets.first_seen_at IS 'When this content was first recorded (for a waiting set: the start of its initWait).';
COMMENT ON COLUMN ingested_sets.finished_at IS 'When it was loaded, refused or rejected (a replaced load keeps the time it was loaded).';
COMMENT ON COLUMN ingested_sets.replaced_at IS 'For a replaced load: when the load of replaced_by replaced it.';
COMMENT ON COLUMN ingested_sets.incomplete IS 'For a rejected set: rejected because a member (init file, or the features of a track file) never arrived within initWait. The same content is loaded once the missing member is there.';

-- Remote sources now report modification times too (SFTP; FTP by MLSD, else MDTM).
COMMENT ON COLUMN ingested_files.modified_at IS 'Modification time of the file as listed (local, SFTP, FTP by MLSD or MDTM; NULL when the server gives none), used with path and size to skip files already seen.';
