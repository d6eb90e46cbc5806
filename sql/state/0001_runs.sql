-- nocturne's own state. Unqualified names: the migration runner sets search_path
-- to the configured state schema (default "nocturne").

CREATE TABLE runs (
  id           bigserial PRIMARY KEY,
  pipeline     text        NOT NULL,
  stage        text        NOT NULL CHECK (stage IN ('run', 'upload', 'ingest')),
  slot         timestamptz NOT NULL,
  trigger      text        NOT NULL CHECK (trigger IN ('schedule', 'catchup', 'manual')),
  state        text        NOT NULL DEFAULT 'running'
                           CHECK (state IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted')),
  attempt      integer     NOT NULL DEFAULT 1,
  host         text        NOT NULL,
  pid          integer     NOT NULL,
  lease_until  timestamptz NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  error_code   text,
  error        text,
  stats        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (pipeline, stage, slot)
);
-- At most one live run per pipeline and stage, whoever started it (daemon, second
-- daemon, manual CLI). A crashed holder's lease expires and the row is marked interrupted.
CREATE UNIQUE INDEX runs_one_running ON runs (pipeline, stage) WHERE state = 'running';
CREATE INDEX runs_history ON runs (pipeline, stage, started_at DESC);

COMMENT ON TABLE runs IS 'One row per stage run: scheduled, caught up or manual. The run history.';
COMMENT ON COLUMN runs.slot IS 'The scheduled instant this run stands for (manual runs: the moment they were asked for).';
COMMENT ON COLUMN runs.lease_until IS 'The holder renews this while alive; past it, another process may take over.';
COMMENT ON COLUMN runs.stats IS 'Stage counters: jobs, files, bytes, rows, quarantined items.';
