-- Alerting: incidents and the messages that tell people about them. An incident is
-- raised once per key while it is open, whichever host notices it first; each message
-- is one row per destination, claimed by one host before it is sent, so several hosts
-- and restarts announce each incident once (see docs/operating.md, Alerting).

CREATE TABLE incidents (
  id            bigserial   PRIMARY KEY,
  kind          text        NOT NULL CHECK (kind IN ('stage_failed', 'slot_missed', 'work_failed', 'work_stuck',
                                                     'unreachable', 'disk_low', 'host_stopped')),
  pipeline      text        NOT NULL DEFAULT '',
  stage         text        NOT NULL DEFAULT '',
  subject       text        NOT NULL DEFAULT '',
  summary       text        NOT NULL,
  details       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  size          integer     NOT NULL DEFAULT 1,
  told_size     integer,
  opened_at     timestamptz NOT NULL DEFAULT now(),
  opened_by     text        NOT NULL,
  notify_after  timestamptz NOT NULL DEFAULT now(),
  announced_at  timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at   timestamptz,
  resolved_by   text,
  resolution    text
);
-- One open incident per key: the unique key of the issue, among open incidents (a stage
-- that fails again next week opens a new one).
CREATE UNIQUE INDEX incidents_open ON incidents (kind, pipeline, stage, subject) WHERE resolved_at IS NULL;
CREATE INDEX incidents_recent ON incidents (opened_at DESC);
CREATE INDEX incidents_resolved ON incidents (kind, pipeline, stage, subject, resolved_at DESC) WHERE resolved_at IS NOT NULL;

COMMENT ON TABLE incidents IS 'Something people must be told about: one row from the moment a host notices it until one notices it is over.';
COMMENT ON COLUMN incidents.kind IS 'stage_failed, slot_missed, work_failed, work_stuck, unreachable, disk_low or host_stopped.';
COMMENT ON COLUMN incidents.pipeline IS 'The pipeline concerned; empty when none (a host, the database).';
COMMENT ON COLUMN incidents.stage IS 'The stage concerned (run, upload, ingest); empty when none.';
COMMENT ON COLUMN incidents.subject IS 'What else tells incidents of one kind apart: the night (YYYY-MM-DD) of a work_failed digest, the host of host_stopped, "database@<host>" or "target:<name>@<host>" for unreachable, "<host>:<path>" for disk_low; empty when pipeline and stage suffice.';
COMMENT ON COLUMN incidents.summary IS 'One line saying what is wrong, as the last evaluation saw it.';
COMMENT ON COLUMN incidents.details IS 'What the messages list: runs, items, times, thresholds (kind-specific JSON).';
COMMENT ON COLUMN incidents.size IS 'How many items the incident is about (failed items of a digest, stuck files...): 1 for the others.';
COMMENT ON COLUMN incidents.told_size IS 'size when the last opening or update message was written: a digest that grows beyond it gets an update.';
COMMENT ON COLUMN incidents.opened_at IS 'When a host first noticed it (database time).';
COMMENT ON COLUMN incidents.opened_by IS 'Host that noticed it.';
COMMENT ON COLUMN incidents.notify_after IS 'The opening message is not written before this (a digest collects a night''s items first).';
COMMENT ON COLUMN incidents.announced_at IS 'When the opening messages were written (one per destination of the matching routes).';
COMMENT ON COLUMN incidents.updated_at IS 'When summary or details last changed.';
COMMENT ON COLUMN incidents.resolved_at IS 'When a host noticed that it is over; NULL while open.';
COMMENT ON COLUMN incidents.resolved_by IS 'Host that noticed the end.';
COMMENT ON COLUMN incidents.resolution IS 'Why it is over, in words (the stage succeeded again, the heartbeat came back...).';

CREATE TABLE notifications (
  id             bigserial   PRIMARY KEY,
  incident_id    bigint      NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  event          text        NOT NULL CHECK (event IN ('opened', 'update', 'reminder', 'resolved')),
  seq            integer     NOT NULL DEFAULT 0,
  destination    text        NOT NULL,
  routes         text[]      NOT NULL,
  subject        text        NOT NULL,
  body           text        NOT NULL,
  payload        jsonb       NOT NULL,
  state          text        NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'sending', 'sent', 'failed', 'cancelled')),
  not_before     timestamptz NOT NULL DEFAULT now(),
  attempts       integer     NOT NULL DEFAULT 0,
  claimed_by     text,
  claimed_pid    integer,
  claimed_holder text,
  claimed_at     timestamptz,
  sent_at        timestamptz,
  error          text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, event, seq, destination)
);
CREATE INDEX notifications_pending ON notifications (not_before) WHERE state IN ('due', 'sending');
CREATE INDEX notifications_incident ON notifications (incident_id, id);

COMMENT ON TABLE notifications IS 'One message about one incident to one destination: the outbox of alerting and its record. The unique key keeps two hosts from writing it twice; the claim keeps them from sending it twice.';
COMMENT ON COLUMN notifications.event IS 'opened, update (a digest grew), reminder (alerts.remindEvery) or resolved.';
COMMENT ON COLUMN notifications.seq IS 'Which reminder or update of the incident this is (1, 2...); 0 for opened and resolved.';
COMMENT ON COLUMN notifications.destination IS '"email:<address>" or "webhook:<name of alerts.webhooks>".';
COMMENT ON COLUMN notifications.routes IS 'The routes of config/nocturne.yaml that sent the incident to this destination.';
COMMENT ON COLUMN notifications.subject IS 'E-mail subject.';
COMMENT ON COLUMN notifications.body IS 'Plain-text message (the e-mail body, the webhook''s "text").';
COMMENT ON COLUMN notifications.payload IS 'The webhook JSON body, as documented in docs/operating.md (sent as written here).';
COMMENT ON COLUMN notifications.state IS 'due (waiting for not_before), sending (claimed by a host), sent, failed (given up after alerts.retry.attempts, or refused for good), cancelled (the incident ended before this was sent: the resolved message says it all).';
COMMENT ON COLUMN notifications.not_before IS 'Not sent before this: quiet hours, or the backoff after a failed try.';
COMMENT ON COLUMN notifications.attempts IS 'Tries so far.';
COMMENT ON COLUMN notifications.claimed_by IS 'Host that claimed it for sending (state sending), or sent it.';
COMMENT ON COLUMN notifications.claimed_pid IS 'Process of that host; with claimed_holder it tells whether the claimant still exists.';
COMMENT ON COLUMN notifications.claimed_holder IS 'Process namespace of the claimant, as in runs.holder.';
COMMENT ON COLUMN notifications.claimed_at IS 'When it was claimed; a claim whose claimant is gone, or older than the send deadline, is taken over (at most one duplicate message per claimant killed between sending and recording).';
COMMENT ON COLUMN notifications.sent_at IS 'When the destination accepted it (SMTP 250, HTTP 2xx).';
COMMENT ON COLUMN notifications.error IS 'The last failure, naming the destination.';

-- What the evaluation reads every alerts.evaluateEvery, found without reading the ledgers
-- through (besides the partial indexes of 0013 and 0014 on failed observations, rejected
-- files, files with rows set aside and quarantined files). A row enters a partial index
-- only in the state it names: one entry per item set aside, one per file archived.
CREATE INDEX alerts_transfers_archived_path ON transfers (pipeline, local_path) WHERE state IN ('deleted', 'kept');
CREATE INDEX alerts_ingested_sets_set_aside ON ingested_sets (finished_at) WHERE status IN ('rejected', 'refused');
CREATE INDEX alerts_ingested_sets_waiting ON ingested_sets (first_seen_at) WHERE status = 'waiting';

COMMENT ON INDEX alerts_transfers_archived_path IS 'Alerting: whether a quarantined file was archived since (a digest item made good).';
COMMENT ON INDEX alerts_ingested_sets_set_aside IS 'Alerting: rejected and refused sets, by time (work_failed digests).';
COMMENT ON INDEX alerts_ingested_sets_waiting IS 'Alerting: sets waiting for a member (work_stuck).';
