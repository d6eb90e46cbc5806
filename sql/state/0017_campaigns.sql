-- Reprocessing campaigns (issue 18): a range of nights of one pipeline run again, in
-- batches of nights, through the run stage's own ledgers under a ledger name of its own
-- ("<pipeline>.c<id>", which no pipeline can have), so a campaign never touches the
-- nightly run's observations or jobs and re-attaches to its jobs after a kill -9.

CREATE TABLE campaigns (
  id            bigserial   PRIMARY KEY,
  pipeline      text        NOT NULL,
  night_from    date        NOT NULL,
  night_to      date        NOT NULL CHECK (night_to >= night_from),
  stages        text[]      NOT NULL,
  state         text        NOT NULL DEFAULT 'running'
                            CHECK (state IN ('running', 'paused', 'cancelled', 'done', 'failed')),
  next_night    date        NOT NULL,
  batch_nights  integer     NOT NULL CHECK (batch_nights > 0),
  max_running   integer     NOT NULL CHECK (max_running > 0),
  nice          integer     NOT NULL DEFAULT 0,
  qos           text,
  code_version  text        NOT NULL,
  created_by    text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  holder_host   text,
  holder_ns     text,
  holder_pid    integer,
  heartbeat_at  timestamptz,
  error         text
);
CREATE INDEX campaigns_open ON campaigns (pipeline) WHERE state IN ('running', 'paused');

COMMENT ON TABLE campaigns IS 'One row per reprocessing campaign (nocturne backfill): its nights, throttle, priority and progress.';
COMMENT ON COLUMN campaigns.next_night IS 'First night not yet wholly processed: the batch in progress starts here; past night_to once done.';
COMMENT ON COLUMN campaigns.batch_nights IS 'Nights whose observations are submitted together (as job arrays).';
COMMENT ON COLUMN campaigns.max_running IS 'Most tasks of the campaign submitted and not ended at once (the array %N and the submission cap).';
COMMENT ON COLUMN campaigns.nice IS 'sbatch --nice of its jobs: below the nightly runs in SLURM''s queue.';
COMMENT ON COLUMN campaigns.qos IS 'sbatch --qos of its jobs, when the cluster has one for campaigns.';
COMMENT ON COLUMN campaigns.code_version IS 'The pipeline''s code.version when the campaign was created (a version bump is a new campaign).';
COMMENT ON COLUMN campaigns.holder_pid IS 'The process driving the campaign, with its host, pid namespace and heartbeat: another takes over once the heartbeat is stale, or at once when it sees the pid is gone from its own namespace.';

-- Fair share: who is waiting to submit. A ledger (a pipeline, or a campaign) that has
-- observations to submit says so here at each submission round; the submission cap is
-- shared among the ledgers that said so recently or have tasks in SLURM.
CREATE TABLE share_demand (
  ledger      text        PRIMARY KEY,
  waiting     integer     NOT NULL,
  seen_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE share_demand IS 'Ledgers (pipelines and campaigns) with observations waiting for their share of the submission cap; a row not refreshed for a minute is ignored.';
