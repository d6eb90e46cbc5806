-- Verified deletion (stage upload): one row per local file on its way to an archive
-- target, moved through its states one durable step at a time. Each state a side effect
-- depends on is recorded BEFORE it (the partial name before the upload, checked before
-- the local delete; verified, renamed and checked are recorded together after the
-- rename, see docs/operating.md), so a run killed at any point is resumed by the next
-- one from what is written here, and nothing is lost.
--
--   discovered → uploading (to partial_path) → verified → renamed → checked → deleted
--                                                                          ↘ kept
--   quarantined, missing: set aside, never uploaded / gone from under us.

CREATE TABLE transfers (
  id              bigserial        PRIMARY KEY,
  pipeline        text             NOT NULL,
  target          text             NOT NULL,
  kind            text             NOT NULL CHECK (kind IN ('output', 'thumbnail')),
  local_path      text             NOT NULL,
  size_bytes      bigint           NOT NULL CHECK (size_bytes >= 0),
  mtime_ms        double precision NOT NULL,
  remote_path     text             NOT NULL,
  partial_path    text,
  state           text             NOT NULL DEFAULT 'discovered'
                  CHECK (state IN ('discovered', 'uploading', 'verified', 'renamed', 'checked',
                                   'deleted', 'kept', 'quarantined', 'missing')),
  verify_method   text             CHECK (verify_method IN ('size', 'size+sha256-readback',
                                                            'size+sha256-server', 'size+sha256-readback(no-server-hash)')),
  local_sha256    text             CHECK (local_sha256 ~ '^[0-9a-f]{64}$'),
  remote_sha256   text             CHECK (remote_sha256 ~ '^[0-9a-f]{64}$'),
  attempts        integer          NOT NULL DEFAULT 0,
  error_code      text,
  error           text,
  quarantine_path text,
  run_id          bigint,
  created_at      timestamptz      NOT NULL DEFAULT now(),
  updated_at      timestamptz      NOT NULL DEFAULT now(),
  CHECK (state NOT IN ('uploading', 'verified') OR partial_path IS NOT NULL),
  CHECK (state <> 'quarantined' OR quarantine_path IS NOT NULL)
);

-- At most one unfinished row per local file and target: a file that appears again
-- after its row was closed (deleted, quarantined, missing) starts a new row.
CREATE UNIQUE INDEX transfers_open ON transfers (pipeline, target, local_path)
  WHERE state NOT IN ('deleted', 'quarantined', 'missing');

CREATE TABLE transfer_events (
  id          bigserial   PRIMARY KEY,
  transfer_id bigint      NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
  from_state  text,
  to_state    text        NOT NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  run_id      bigint,
  note        text
);
CREATE INDEX transfer_events_transfer ON transfer_events (transfer_id, id);

COMMENT ON TABLE transfers IS 'Verified deletion: one row per local file (stage output or thumbnail) on its way to a target; its state is written before each side effect.';
COMMENT ON COLUMN transfers.id IS 'Row identity.';
COMMENT ON COLUMN transfers.pipeline IS 'Pipeline whose outbox the file came from.';
COMMENT ON COLUMN transfers.target IS 'Target name (config/nocturne.yaml targets) the file goes to.';
COMMENT ON COLUMN transfers.kind IS 'output: a file of the outbox; thumbnail: made by the upload stage from a quicklook, kept in the work directory.';
COMMENT ON COLUMN transfers.local_path IS 'Absolute local path of the file.';
COMMENT ON COLUMN transfers.size_bytes IS 'Local size when the row was (re)started: what the remote copy must measure.';
COMMENT ON COLUMN transfers.mtime_ms IS 'Local modification time (ms since the epoch) when the row was (re)started; a different one means the file was replaced.';
COMMENT ON COLUMN transfers.remote_path IS 'Final remote path (absolute, or relative to the login directory).';
COMMENT ON COLUMN transfers.partial_path IS 'Temporary remote name (<final>.<random>.partial) of the current upload; recorded before the upload starts, so a crash leaves no unknown partial.';
COMMENT ON COLUMN transfers.state IS 'discovered, uploading, verified, renamed (at the final name), checked (final name re-checked), deleted (local copy removed), kept (deleteAfterVerify: false), quarantined, missing (local file vanished before verification).';
COMMENT ON COLUMN transfers.verify_method IS 'How the upload was verified: size alone, size and SHA-256 read back, or size and the server''s own SHA-256 (readback(no-server-hash): server-hash was asked for but the server offers none).';
COMMENT ON COLUMN transfers.local_sha256 IS 'SHA-256 of the local file, when the verify method uses one.';
COMMENT ON COLUMN transfers.remote_sha256 IS 'SHA-256 the remote copy was found to have.';
COMMENT ON COLUMN transfers.attempts IS 'Uploads started for this row (each one to a fresh partial name).';
COMMENT ON COLUMN transfers.error_code IS 'NocturneError code of the last failure; cleared when the file is done.';
COMMENT ON COLUMN transfers.error IS 'Message of the last failure, naming the file and target; cleared when the file is done.';
COMMENT ON COLUMN transfers.quarantine_path IS 'Where a rejected file was moved (a .reason.txt lies beside it).';
COMMENT ON COLUMN transfers.run_id IS 'The run (runs.id) that last changed this row.';
COMMENT ON COLUMN transfers.created_at IS 'When the file was first seen.';
COMMENT ON COLUMN transfers.updated_at IS 'When the row last changed.';
COMMENT ON INDEX transfers_open IS 'One unfinished row per (pipeline, target, local file); also the lookup of pending work.';

COMMENT ON TABLE transfer_events IS 'Every state change and failure of every transfer, in order: the audit trail of verified deletion.';
COMMENT ON COLUMN transfer_events.id IS 'Order of events.';
COMMENT ON COLUMN transfer_events.transfer_id IS 'The transfer concerned.';
COMMENT ON COLUMN transfer_events.from_state IS 'State before the change (NULL when the row was created).';
COMMENT ON COLUMN transfer_events.to_state IS 'State after the change (equal to from_state for a recorded failure).';
COMMENT ON COLUMN transfer_events.at IS 'When it happened (clock time, not transaction start).';
COMMENT ON COLUMN transfer_events.run_id IS 'The run (runs.id) that made the change.';
COMMENT ON COLUMN transfer_events.note IS 'Details: the partial name, the verification result, or the error.';
COMMENT ON INDEX transfer_events_transfer IS 'A transfer''s history in order.';
