-- What operators do to the pipelines between nights (issue 18): pauses every host
-- honours, and the record of who asked for a pause, a resume or a retry, and when. A
-- retried item's ledger row is copied here before it is put back in line, so an item
-- that fails again keeps both attempts in its history.

CREATE TABLE pauses (
  pipeline   text        NOT NULL,
  stage      text        NOT NULL CHECK (stage IN ('run', 'upload', 'ingest')),
  reason     text        NOT NULL DEFAULT '',
  paused_by  text        NOT NULL,
  paused_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, stage)
);

COMMENT ON TABLE pauses IS 'Stages no host may start a run of (nocturne pause / resume): one row per paused pipeline and stage.';
COMMENT ON COLUMN pauses.reason IS 'Why, in the words of whoever paused it (--reason).';
COMMENT ON COLUMN pauses.paused_by IS 'Who paused it: "<user>@<host>".';
COMMENT ON COLUMN pauses.paused_at IS 'When (database time).';

CREATE TABLE operator_actions (
  id         bigserial   PRIMARY KEY,
  action     text        NOT NULL CHECK (action IN ('pause', 'resume', 'retry')),
  pipeline   text        NOT NULL,
  stage      text        NOT NULL DEFAULT '',
  asked_by   text        NOT NULL,
  asked_at   timestamptz NOT NULL DEFAULT now(),
  details    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  run_id     bigint
);
CREATE INDEX operator_actions_recent ON operator_actions (pipeline, asked_at DESC);

COMMENT ON TABLE operator_actions IS 'Pauses, resumes and retries asked for by people: who, when, what (shown by nocturne history).';
COMMENT ON COLUMN operator_actions.stage IS 'The stage concerned; empty when every stage of the pipeline.';
COMMENT ON COLUMN operator_actions.asked_by IS '"<user>@<host>" of the command (the sudo user when run through sudo).';
COMMENT ON COLUMN operator_actions.details IS 'pause: {reason}; retry: {selection, items per stage, now}.';
COMMENT ON COLUMN operator_actions.run_id IS 'retry --now: the first run it started (no foreign key: run history may be pruned).';

CREATE TABLE retried_items (
  id         bigserial   PRIMARY KEY,
  action_id  bigint      NOT NULL REFERENCES operator_actions (id) ON DELETE CASCADE,
  pipeline   text        NOT NULL,
  stage      text        NOT NULL CHECK (stage IN ('run', 'upload', 'ingest')),
  kind       text        NOT NULL CHECK (kind IN ('observation', 'set', 'file', 'quarantined')),
  item       text        NOT NULL,
  previous   jsonb       NOT NULL
);
CREATE INDEX retried_items_item ON retried_items (pipeline, stage, item);
CREATE INDEX retried_items_action ON retried_items (action_id);

COMMENT ON TABLE retried_items IS 'Each item a retry put back in line, with its ledger row as it was: the earlier attempt of an item retried.';
COMMENT ON COLUMN retried_items.kind IS 'observation (run), set or file (ingest, rejected), quarantined (upload: a quarantined file of the outbox, a quicklook that failed its check).';
COMMENT ON COLUMN retried_items.item IS 'observation: its input path; set: its set key; file: its path; quarantined: its outbox path.';
COMMENT ON COLUMN retried_items.previous IS 'The ledger row (observations, ingested_sets, ingested_files or transfers) when the retry was asked for.';

-- nocturne hosts: the last run of each host, without reading the history through.
CREATE INDEX runs_host_recent ON runs (host, started_at DESC);
COMMENT ON INDEX runs_host_recent IS 'The newest runs of a host: nocturne hosts.';
