-- The hosts running a nocturne daemon on this state database: each registers at start
-- and writes a heartbeat while it runs, so the others can tell when one has stopped
-- (alerts: host_stopped) and, later, whether a run's holder is still alive where the
-- pid namespace cannot say.

CREATE TABLE hosts (
  name          text        PRIMARY KEY,
  version       text        NOT NULL,
  stages        text[]      NOT NULL,
  schedules     text[]      NOT NULL DEFAULT '{}',
  pid           integer     NOT NULL,
  holder        text,
  started_at    timestamptz NOT NULL DEFAULT now(),
  heartbeat_at  timestamptz NOT NULL DEFAULT now(),
  heartbeat_ms  integer     NOT NULL CHECK (heartbeat_ms > 0),
  stopped_at    timestamptz
);
CREATE INDEX hosts_heartbeat ON hosts (heartbeat_at);

COMMENT ON TABLE hosts IS 'One row per daemon host name: who runs what, and when it was last alive. A daemon started under a name takes its row over.';
COMMENT ON COLUMN hosts.name IS 'host.name of config/nocturne.yaml (default: the machine host name), as in runs.host.';
COMMENT ON COLUMN hosts.version IS 'nocturne version of the daemon.';
COMMENT ON COLUMN hosts.stages IS 'host.stages: the stages this daemon schedules.';
COMMENT ON COLUMN hosts.schedules IS 'The "pipeline/stage" pairs this daemon schedules, from its configuration when it (re)loaded it.';
COMMENT ON COLUMN hosts.pid IS 'Process id of the daemon, as in runs.pid.';
COMMENT ON COLUMN hosts.holder IS 'The daemon''s process namespace, "<boot id>/<pid namespace>", as in runs.holder: within it, pid tells whether the daemon still exists.';
COMMENT ON COLUMN hosts.started_at IS 'When this daemon process registered.';
COMMENT ON COLUMN hosts.heartbeat_at IS 'Database time of the last heartbeat; written every heartbeat_ms while the daemon runs.';
COMMENT ON COLUMN hosts.heartbeat_ms IS 'host.heartbeat of the daemon, in milliseconds: how late heartbeat_at may be before the host counts as late.';
COMMENT ON COLUMN hosts.stopped_at IS 'When the daemon stopped cleanly (SIGTERM); NULL while it runs, or when it died without stopping.';
